"""`manage.py import_instrument PATH --period YEAR`: the instrument into a period, with a report.

Exit 0 when the file was imported (or already matched), non-zero with the problems listed
(sheet, row and column, or JSON path) when it cannot be; then nothing was changed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from indicators.importers import InstrumentFileError, parse_file
from kla.imports import NEW_UNIT, SAME_AS, instrument_import
from opd.models import Unit


class Command(BaseCommand):
    help = (
        "Import a KLA instrument (.xlsx template or .json) into a period. Atomic and "
        "idempotent; prints a validation report."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .xlsx template or a .json file.")
        parser.add_argument("--period", type=int, required=True, help="Year of the period.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="NAME=UNIT",
            help="The file's unit NAME is the existing unit UNIT (short name); remembered. "
            "Repeatable. UNIT 'new' creates a unit of that name; 'new:OTHER' makes NAME the "
            "unit created for the file's name OTHER.",
        )
        parser.add_argument(
            "--create-units",
            action="store_true",
            help="Create a unit for every name that matches none (otherwise the import stops "
            "and lists them). Names that look like each other or like an existing unit are "
            "still asked (listed as groups) unless --create-look-alikes.",
        )
        parser.add_argument(
            "--create-look-alikes",
            action="store_true",
            help="With --create-units: create look-alike names as separate units too.",
        )

    def _mapping(self, pairs: list[str]) -> dict:
        mapping = {}
        for pair in pairs:
            name, sep, short = pair.partition("=")
            if not sep or not name.strip() or not short.strip():
                raise CommandError(_("--map takes NAME=UNIT, got %(pair)s.") % {"pair": pair})
            if short.strip().lower() == NEW_UNIT:
                mapping[name.strip()] = NEW_UNIT
                continue
            if short.strip().lower().startswith(SAME_AS):
                mapping[name.strip()] = SAME_AS + short.strip()[len(SAME_AS) :].strip()
                continue
            unit = Unit.objects.filter(short_name__iexact=short.strip()).first()
            if unit is None:
                raise CommandError(_("--map: no unit is called %(unit)s.") % {"unit": short})
            mapping[name.strip()] = unit.pk
        return mapping

    def handle(
        self,
        *args,
        path,
        period,
        dry_run,
        map,  # noqa: A002
        create_units,
        create_look_alikes=False,
        **options,
    ):
        if not 2000 <= period <= 2100:
            raise CommandError(_("--period must be a year, got %(year)s.") % {"year": period})
        try:
            parsed = parse_file(path)
        except FileNotFoundError:
            raise CommandError(_("No such file: %(path)s") % {"path": path}) from None
        except InstrumentFileError as error:
            raise CommandError(
                _("The file cannot be imported; nothing was changed.")
                + "\n  "
                + "\n  ".join(error.problems)
            ) from None
        try:
            report = instrument_import(
                parsed=parsed,
                year=period,
                dry_run=dry_run,
                unit_mapping=self._mapping(map),
                create_units=create_units,
                create_look_alikes=create_look_alikes,
            )
        except DatabaseError as error:  # rolled back; say why instead of a traceback
            raise CommandError(
                _("The database refused the import; nothing was changed: %(error)s")
                % {"error": error}
            ) from None
        for line in report.lines(errors=False):
            self.stdout.write(line)
        if report.unmapped and create_units and report.look_alikes:
            raise CommandError(
                _(
                    "Nothing was imported: some new names look like each other or like an "
                    "existing unit (listed above as 'Look alike'). Say which unit each one is "
                    "with --map NAME=UNIT, NAME=new or NAME=new:OTHER, or pass "
                    "--create-look-alikes to create them all as separate units."
                )
            )
        if report.unmapped:
            raise CommandError(
                _(
                    "Nothing was imported. Map each unknown name with --map NAME=UNIT, or pass "
                    "--create-units to create them."
                )
            )
        if report.errors:
            raise CommandError(
                _("%(n)s error(s): nothing was imported. Fix the file and try again.")
                % {"n": len(report.errors)}
                + "\n  "
                + "\n  ".join(str(e) for e in report.errors)
            )
        if dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was changed.")))
        elif report.changed:
            self.stdout.write(
                self.style.SUCCESS(_("Imported into period %(year)s.") % {"year": period})
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("Nothing changed: the period already matches.")))
