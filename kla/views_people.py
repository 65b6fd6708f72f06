"""Bulk import of units and people by the secretariat: upload, check, confirm."""

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

from opd import access
from opd.audit import client_ip
from opd.people_import import PeopleFileError, people_import, people_template, read_people_file

SESSION_KEY = "people_import_token"
# The checked report's digest: the confirmation applies what the preview showed, or nothing.
DIGEST_KEY = "people_import_digest"


class PeopleUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload the .xlsx template."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The workbook is larger than 5 MB."))
        return upload


def _staging_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _staged(request) -> Path | None:
    token = request.session.get(SESSION_KEY, "")
    if not token or not token.isalnum():
        return None
    path = _staging_dir() / f"people-{token}.xlsx"
    return path if path.exists() else None


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def people_import_upload(request):
    form = PeopleUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        token = secrets.token_hex(16)
        path = _staging_dir() / f"people-{token}.xlsx"
        with path.open("wb") as out:
            for chunk in form.cleaned_data["file"].chunks():
                out.write(chunk)
        try:
            # Checked as the user who will confirm: the preview shows that user's refusals.
            report = people_import(
                rows=read_people_file(path), actor=request.user, ip=client_ip(request), dry_run=True
            )
        except PeopleFileError as error:
            path.unlink(missing_ok=True)
            form.add_error("file", str(error))
        else:
            if report.errors or not report.rows:
                path.unlink(missing_ok=True)
            else:
                request.session[SESSION_KEY] = token
                request.session[DIGEST_KEY] = report.digest()
    return render(request, "kla/people_import.html", {"form": form, "report": report})


@access.secretariat_required
@require_POST
def people_import_confirm(request):
    path = _staged(request)
    expected = request.session.get(DIGEST_KEY, "")
    if path is None or not expected:
        if path is not None:
            path.unlink(missing_ok=True)
        messages.error(request, _("Nothing to confirm: upload the workbook again."))
        return redirect("kla:people-import")
    try:
        report = people_import(
            rows=read_people_file(path),
            actor=request.user,
            ip=client_ip(request),
            expected_digest=expected,
        )
    except PeopleFileError as error:
        messages.error(request, str(error))
        return redirect("kla:people-import")
    finally:
        path.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
        request.session.pop(DIGEST_KEY, None)
    if report.errors or report.stale:
        messages.error(request, _("Nothing was imported: the data changed; check it again."))
        return redirect("kla:people-import")
    messages.success(
        request,
        _("%(c)s people created (they receive an email to set a password), %(u)s updated.")
        % {"c": report.count("created"), "u": report.count("updated")},
    )
    return redirect("kla:people-import")


@access.secretariat_required
@require_GET
def people_import_template(request):
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="template-orang.xlsx"'
    people_template().save(response)
    return response
