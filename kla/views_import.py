"""Instrument import in the browser: upload, read the report, confirm (or not).

The uploaded file is kept under VAR_DIR/imports/ by a random token that only the session
knows; the confirmation reads that file again. No path ever comes from the client.
"""

import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from indicators.importers import InstrumentFileError, parse_file
from indicators.models import Period
from indicators.templates_xlsx import instrument_workbook
from kla.forms_import import SUFFIXES, InstrumentUploadForm
from kla.imports import NEW_UNIT, SAME_AS, instrument_import, instrument_rows
from opd import access
from opd.audit import client_ip
from opd.models import Unit

SESSION_KEY = "instrument_import"
PREFIX = "instrument-"
TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")
STALE_AFTER = 24 * 3600  # seconds: a check nobody confirmed within a day is abandoned
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staging() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _staged_path(staged) -> Path | None:
    """The file a session staged, if its token and suffix are ours and it is still there."""
    if not isinstance(staged, dict):
        return None
    token, suffix = str(staged.get("token", "")), str(staged.get("suffix", ""))
    if not TOKEN.fullmatch(token) or suffix not in SUFFIXES:
        return None
    path = _staging() / f"{PREFIX}{token}{suffix}"
    return path if path.is_file() else None


def _discard(staged) -> None:
    path = _staged_path(staged)
    if path is not None:
        path.unlink(missing_ok=True)


def _remove_stale() -> None:
    cutoff = time.time() - STALE_AFTER
    for path in _staging().glob(f"{PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:  # another request removed it first
            pass


def _mapping_from(post) -> dict:
    """The mapping step's answers: the file's name -> a unit id, NEW_UNIT, or the new unit of
    another name (SAME_AS). Names and ids the file or the database do not know are ignored
    by the import."""
    mapping = {}
    for key, name in post.items():
        if key.startswith("name-"):
            choice = post.get("unit-" + key.removeprefix("name-"), "")
            if choice == NEW_UNIT or choice.startswith(SAME_AS):
                mapping[name] = choice
            elif choice.isdigit():
                mapping[name] = int(choice)
    return mapping


def _remap(request):
    """The mapping step: the staged file checked again with the names the secretariat mapped."""
    staged = request.session.get(SESSION_KEY)
    path = _staged_path(staged)
    if path is None:
        return None
    staged["mapping"] = _mapping_from(request.POST)
    request.session[SESSION_KEY] = staged
    return instrument_import(
        parsed=parse_file(path),
        year=int(staged["year"]),
        dry_run=True,
        unit_mapping=staged["mapping"],
    )


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def instrument_import_upload(request):
    posted = request.method == "POST"
    mapping_step = posted and request.POST.get("action") == "map"
    form = (
        InstrumentUploadForm(request.POST, request.FILES)
        if posted and not mapping_step
        else InstrumentUploadForm()
    )
    report = problems = None
    upload_name = ""
    if mapping_step:
        report = _remap(request)
        if report is None:
            messages.error(request, _("Nothing to confirm: upload the file again."))
            return redirect("kla:instrument-import")
        upload_name = request.session[SESSION_KEY].get("name", "")
    elif posted and form.is_valid():
        # A new check replaces the previous one of this session.
        _discard(request.session.pop(SESSION_KEY, None))
        _remove_stale()
        upload = form.cleaned_data["file"]
        upload_name = Path(upload.name).name
        year = form.cleaned_data["year"]
        token = secrets.token_urlsafe(24)
        suffix = Path(upload.name).suffix.lower()
        path = _staging() / f"{PREFIX}{token}{suffix}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            parsed = parse_file(path)
        except InstrumentFileError as error:
            problems = error.problems
            path.unlink(missing_ok=True)
        else:
            report = instrument_import(parsed=parsed, year=year, dry_run=True)
            if report.errors:
                path.unlink(missing_ok=True)
            else:
                request.session[SESSION_KEY] = {
                    "token": token,
                    "suffix": suffix,
                    "year": year,
                    "name": upload_name,
                }
    context = {
        "form": form,
        "report": report,
        "problems": problems,
        "upload_name": upload_name,
        "periods": Period.objects.order_by("-year").only("year"),
        "units": Unit.objects.order_by("name") if report and report.unmapped else [],
        "new_unit": NEW_UNIT,
        "same_as": SAME_AS,
        "mapping_rows": _mapping_rows(report) if report and report.unmapped else [],
    }
    return render(request, "kla/import_instrument.html", context)


def _mapping_rows(report) -> list[dict]:
    """The mapping step's questions, look-alikes together: [{group, items, others}], where
    `others` are the group's other new names this one may be the same new unit as."""
    unmapped = {item.name: item for item in report.unmapped}
    rows, seen = [], set()
    for group in report.look_alikes:
        items = [unmapped[n] for n in group.names if n in unmapped]
        seen.update(n for n in group.names)
        if items:
            rows.append({"group": group, "items": items, "others": group.names})
    alone = [item for item in report.unmapped if item.name not in seen]
    if alone:
        rows.append({"group": None, "items": alone, "others": []})
    return rows


@access.secretariat_required
@require_POST
def instrument_import_confirm(request):
    staged = request.session.pop(SESSION_KEY, None)
    path = _staged_path(staged)
    if path is None:
        messages.error(request, _("Nothing to confirm: upload the file again."))
        return redirect("kla:instrument-import")
    try:
        report = instrument_import(
            parsed=parse_file(path),
            year=int(staged["year"]),
            actor=request.user,
            ip=client_ip(request),
            unit_mapping=staged.get("mapping") or {},
        )
    except (InstrumentFileError, FileNotFoundError, ValueError):
        messages.error(request, _("The file could not be read again; nothing was imported."))
        return redirect("kla:instrument-import")
    finally:
        path.unlink(missing_ok=True)
    if report.errors or report.unmapped:
        why = report.errors[0] if report.errors else report.unmapped[0]
        messages.error(request, _("Nothing was imported: %(why)s") % {"why": why})
        return redirect("kla:instrument-import")
    messages.success(
        request,
        _("Imported into period %(year)s: %(c)s questions created, %(u)s updated.")
        % {"year": report.year, "c": report.created["questions"], "u": report.updated["questions"]},
    )
    if report.units_created:
        messages.info(
            request,
            _("Units created (%(n)s): %(names)s")
            % {"n": len(report.units_created), "names": ", ".join(report.units_created)},
        )
    return redirect("kla:period-detail", year=report.year)


@access.secretariat_required
@require_GET
def instrument_import_template(request):
    """The empty template, or with ?year= the period's instrument (it imports back unchanged)."""
    year = request.GET.get("year", "").strip()
    period = None
    if year:
        if not (year.isdigit() and len(year) == 4):
            raise Http404
        period = get_object_or_404(Period, year=int(year))
    workbook = instrument_workbook(instrument_rows(period=period) if period else None)
    response = HttpResponse(content_type=XLSX)
    name = f"instrumen-{period.year}.xlsx" if period else "template-instrumen.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    workbook.save(response)
    return response
