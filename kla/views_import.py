"""Instrument import in the browser: upload, read the report, confirm (or not)."""

import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from indicators.importers import InstrumentFileError, parse_file
from indicators.models import Period
from indicators.templates_xlsx import instrument_workbook
from kla import access
from kla.imports import instrument_import, instrument_rows
from opd.audit import client_ip

SESSION_KEY = "instrument_import"


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Instrument file (.xlsx template or .json)"))
    year = forms.IntegerField(label=gettext_lazy("Period (year)"), min_value=2000, max_value=2100)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".xlsx", ".json"):
            raise forms.ValidationError(_("Upload the .xlsx template or a .json file."))
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


def _staging() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def instrument_import_upload(request):
    form = InstrumentUploadForm(request.POST or None, request.FILES or None)
    report = problems = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = secrets.token_hex(16)
        path = _staging() / f"instrument-{token}{Path(upload.name).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            parsed = parse_file(path)
        except InstrumentFileError as error:
            problems = error.problems
            path.unlink(missing_ok=True)
        else:
            report = instrument_import(parsed=parsed, year=form.cleaned_data["year"], dry_run=True)
            if report.errors:
                path.unlink(missing_ok=True)
            else:
                request.session[SESSION_KEY] = {
                    "name": path.name,
                    "year": form.cleaned_data["year"],
                }
    context = {"form": form, "report": report, "problems": problems,
               "periods": Period.objects.order_by("-year").only("year")}  # fmt: skip
    return render(request, "kla/import_instrument.html", context)


@access.secretariat_required
@require_POST
def instrument_import_confirm(request):
    staged = request.session.pop(SESSION_KEY, None) or {}
    name = str(staged.get("name", ""))
    path = _staging() / name
    # Only a name this session staged, never a path from the client.
    if not name.startswith("instrument-") or "/" in name or not path.exists():
        messages.error(request, _("Nothing to confirm: upload the file again."))
        return redirect("instrument-import")
    try:
        report = instrument_import(
            parsed=parse_file(path), year=int(staged["year"]), actor=request.user,
            ip=client_ip(request),
        )  # fmt: skip
    except InstrumentFileError:
        messages.error(request, _("The file could not be read again; nothing was imported."))
        return redirect("instrument-import")
    finally:
        path.unlink(missing_ok=True)
    if report.errors:
        messages.error(request, _("Nothing was imported: %(why)s") % {"why": report.errors[0]})
        return redirect("instrument-import")
    messages.success(
        request,
        _("Imported into period %(year)s: %(c)s questions created, %(u)s updated.")
        % {"year": report.year, "c": report.created["questions"], "u": report.updated["questions"]},
    )
    return redirect("indicators:period-detail", year=report.year)


@access.secretariat_required
@require_GET
def instrument_import_template(request):
    period = Period.objects.filter(year=request.GET.get("year") or 0).first()
    workbook = instrument_workbook(instrument_rows(period=period) if period else None)
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"instrumen-{period.year}.xlsx" if period else "template-instrumen.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    workbook.save(response)
    return response
