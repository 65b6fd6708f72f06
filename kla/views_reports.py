"""Report downloads: the Excel recap, the PDF progress report, the evidence bundle and the
entry kit for the ministry's application.

Readers (secretariat, admin, executive) get the recap and the report; the evidence bundle
and the entry kit hold the units' documents, which are the secretariat's to hand on:
executive gets 403. Every download is written to the audit trail.
"""

import io

from django.db.models import Count, Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from indicators.models import Period
from kla.reports.bundle import bundle_plan, iter_bundle
from kla.reports.entry_kit import entry_kit_plan, entry_workbook, iter_entry_kit
from kla.reports.pdf import progress_report_pdf
from kla.reports.xlsx import rekap_workbook
from opd import access
from opd.audit import audit_log, client_ip
from opd.models import Answer, AuditEvent

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _audit_export(request, *, period: Period, kind: str, summary: str, **data) -> None:
    audit_log(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        ip=client_ip(request),
        period=period,
        summary=summary,
        data={"kind": kind, **data},
    )


@access.readers_required
@require_GET
def reports(request):
    """The periods with their three downloads (the bundle only for the secretariat)."""
    periods = (
        access.periods_visible(request.user)
        .annotate(
            n_answers=Count("groups__indicators__questions__answers"),
            n_approved=Count(
                "groups__indicators__questions__answers",
                filter=Q(groups__indicators__questions__answers__status=Answer.Status.APPROVED),
            ),
        )
        .order_by("-year")
    )
    return render(
        request,
        "kla/reports.html",
        {"periods": periods, "may_bundle": access.is_secretariat(request.user)},
    )


@access.readers_required
@require_GET
def report_xlsx(request, year: int):
    period = access.period_for_user(request.user, year=year)
    buffer = io.BytesIO()
    rekap_workbook(period=period).save(buffer)
    _audit_export(
        request,
        period=period,
        kind="xlsx",
        summary=_("Recap workbook %(year)s downloaded") % {"year": year},
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    return _attachment(response, f"rekap-kla-{year}.xlsx")


@access.readers_required
@require_GET
def report_pdf(request, year: int):
    period = access.period_for_user(request.user, year=year)
    language = get_language() or "id"
    content = progress_report_pdf(period=period, language=language)
    _audit_export(
        request,
        period=period,
        kind="pdf",
        summary=_("Progress report %(year)s downloaded") % {"year": year},
        language=language,
    )
    response = HttpResponse(content, content_type="application/pdf")
    return _attachment(response, f"laporan-kla-{year}.pdf")


@access.secretariat_required
@require_GET
def report_bundle(request, year: int):
    period = access.period_for_user(request.user, year=year)
    # The plan is read before the response starts, so a database error is still a clean 500.
    plan = bundle_plan(period=period)
    _audit_export(
        request,
        period=period,
        kind="bundle",
        summary=_("Evidence bundle %(year)s downloaded") % {"year": year},
        files=len(plan.files),
        bytes=plan.total_bytes,
    )
    response = StreamingHttpResponse(iter_bundle(plan), content_type="application/zip")
    return _attachment(response, f"bukti-kla-{year}.zip")


@access.secretariat_required
@require_GET
def report_entry_workbook(request, year: int):
    period = access.period_for_user(request.user, year=year)
    buffer = io.BytesIO()
    entry_workbook(entry_kit_plan(period=period)).save(buffer)
    _audit_export(
        request,
        period=period,
        kind="entry_workbook",
        summary=_("Entry workbook %(year)s downloaded") % {"year": year},
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    return _attachment(response, f"isian-aplikasi-kla-{year}.xlsx")


@access.secretariat_required
@require_GET
def report_entry_kit(request, year: int):
    period = access.period_for_user(request.user, year=year)
    # The plan is read before the response starts, so a database error is still a clean 500;
    # the PDFs are built one question at a time while the ZIP streams.
    plan = entry_kit_plan(period=period)
    _audit_export(
        request,
        period=period,
        kind="entry_kit",
        summary=_("Entry kit %(year)s downloaded") % {"year": year},
        questions=len(plan.questions),
        files=plan.n_files,
    )
    response = StreamingHttpResponse(iter_entry_kit(plan), content_type="application/zip")
    return _attachment(response, f"isian-aplikasi-kla-{year}.zip")
