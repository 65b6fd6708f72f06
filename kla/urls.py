"""The task force's pages: dashboards, the instrument, people, periods, reports, the API."""

from django.urls import path

from kla import (
    api,
    views,
    views_evaluation,
    views_import,
    views_people,
    views_periods,
    views_reports,
    views_secretariat,
    views_taskforce,
)

app_name = "kla"

urlpatterns = [
    path("", views.home, name="home"),
    path("sekretariat/", views.secretariat_home, name="secretariat-home"),
    path("pimpinan/", views.executive_home, name="executive-home"),
    path("pimpinan/cetak/", views.executive_print, name="executive-print"),
    path("pimpinan/unit/", views.executive_units, name="executive-units"),
    path("instrumen/<int:year>/", views.period_detail, name="period-detail"),
    path("sekretariat/impor-orang/", views_people.people_import_upload, name="people-import"),
    path(
        "sekretariat/impor-orang/konfirmasi/",
        views_people.people_import_confirm,
        name="people-import-confirm",
    ),
    path(
        "sekretariat/impor-orang/template.xlsx",
        views_people.people_import_template,
        name="people-import-template",
    ),
    path("sekretariat/periode/<int:year>/", views_periods.period_edit, name="period-edit"),
    path("sekretariat/periode/<int:year>/kunci/", views_periods.period_lock, name="period-lock"),
    path(
        "sekretariat/periode/<int:year>/status/", views_periods.period_status, name="period-status"
    ),
    path(
        "sekretariat/periode/<int:year>/dari-tahun-lalu/",
        views_periods.period_carry_over,
        name="period-carry-over",
    ),
    path(
        "sekretariat/periode/<int:year>/pasangan-pertanyaan/",
        views_periods.period_question_pairs,
        name="period-question-pairs",
    ),
    path(
        "sekretariat/periode/<int:year>/penilaian/",
        views_periods.period_scoring,
        name="period-scoring",
    ),
    path(
        "sekretariat/periode/<int:year>/hasil-resmi/",
        views_periods.period_official,
        name="period-official",
    ),
    path(
        "sekretariat/evaluasi/<int:year>/",
        views_evaluation.evaluation_page,
        name="evaluation",
    ),
    path(
        "sekretariat/evaluasi/<int:year>/pengembalian/",
        views_evaluation.return_record,
        name="return-record",
    ),
    path(
        "evaluasi/pengembalian/<int:pk>/jawaban/",
        views_evaluation.return_reply,
        name="return-reply",
    ),
    path(
        "sekretariat/evaluasi/pengembalian/<int:pk>/tutup/",
        views_evaluation.return_close,
        name="return-close",
    ),
    path(
        "sekretariat/evaluasi/<int:year>/verifikasi-lapangan/",
        views_evaluation.field_verification,
        name="field-verification",
    ),
    path(
        "sekretariat/evaluasi/<int:year>/nilai-resmi/",
        views_evaluation.official_points,
        name="official-points",
    ),
    path(
        "sekretariat/evaluasi/<int:year>/nilai-resmi/impor/",
        views_evaluation.official_points_import,
        name="official-points-import",
    ),
    path(
        "sekretariat/evaluasi/<int:year>/nilai-resmi/template.xlsx",
        views_evaluation.official_points_template,
        name="official-points-template",
    ),
    path("evaluasi/<int:year>/nilai-hilang/", views_evaluation.losses_page, name="losses"),
    path(
        "sekretariat/evaluasi/<int:year>/prediksi-risiko/",
        views_evaluation.risk_prediction,
        name="risk-prediction",
    ),
    path("laporan/", views_reports.reports, name="reports"),
    path("laporan/<int:year>/rekap.xlsx", views_reports.report_xlsx, name="report-xlsx"),
    path("laporan/<int:year>/laporan.pdf", views_reports.report_pdf, name="report-pdf"),
    path("laporan/<int:year>/bukti.zip", views_reports.report_bundle, name="report-bundle"),
    path(
        "sekretariat/ringkasan-whatsapp/",
        views_secretariat.whatsapp_summary,
        name="whatsapp-summary",
    ),
    path(
        "laporan/<int:year>/isian-aplikasi.xlsx",
        views_reports.report_entry_workbook,
        name="report-entry-workbook",
    ),
    path(
        "laporan/<int:year>/isian-aplikasi.zip",
        views_reports.report_entry_kit,
        name="report-entry-kit",
    ),
    path("sekretariat/gugus-tugas/<int:year>/", views_taskforce.task_force, name="task-force"),
    path(
        "sekretariat/gugus-tugas/<int:year>/sk/",
        views_taskforce.task_force_decree,
        name="task-force-decree",
    ),
    path(
        "sekretariat/gugus-tugas/anggota/<int:pk>/",
        views_taskforce.task_force_member,
        name="task-force-member",
    ),
    path(
        "sekretariat/gugus-tugas/anggota/<int:pk>/hapus/",
        views_taskforce.task_force_member_remove,
        name="task-force-member-remove",
    ),
    path("sekretariat/audit/", views_secretariat.audit_trail, name="audit-trail"),
    path("sekretariat/perpanjangan/", views_secretariat.extensions, name="extensions"),
    path(
        "sekretariat/perpanjangan/<int:year>/unit/<int:unit_id>/",
        views_secretariat.unit_extension,
        name="unit-extension",
    ),
    path("api/v1/periods/<int:year>/score/", api.period_score, name="api-score"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
    path("instrumen/impor/", views_import.instrument_import_upload, name="instrument-import"),
    path(
        "instrumen/impor/konfirmasi/",
        views_import.instrument_import_confirm,
        name="instrument-import-confirm",
    ),
    path(
        "instrumen/impor/template.xlsx",
        views_import.instrument_import_template,
        name="instrument-import-template",
    ),
]
