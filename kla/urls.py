from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from kla import (
    api,
    views,
    views_import,
    views_people,
    views_periods,
    views_reports,
    views_secretariat,
)
from kla.forms import LoginForm
from kla.healthz import healthz
from kla.password_reset import PasswordResetForm

urlpatterns = [
    path("", views.home, name="home"),
    path("masuk/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("akun/sandi/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "akun/sandi/selesai/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "akun/reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path(
        "akun/reset/terkirim/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "akun/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "akun/reset/selesai/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("bahasa/", set_language, name="set_language"),
    path("sekretariat/", views.secretariat_home, name="secretariat-home"),
    path("pimpinan/", views.executive_home, name="executive-home"),
    path("pimpinan/cetak/", views.executive_print, name="executive-print"),
    path("instrumen/", include("indicators.urls")),
    path("opd/", include("opd.urls")),
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
    path("laporan/", views_reports.reports, name="reports"),
    path("laporan/<int:year>/rekap.xlsx", views_reports.report_xlsx, name="report-xlsx"),
    path("laporan/<int:year>/laporan.pdf", views_reports.report_pdf, name="report-pdf"),
    path("laporan/<int:year>/bukti.zip", views_reports.report_bundle, name="report-bundle"),
    path("healthz", healthz, name="healthz"),
    path("sekretariat/audit/", views_secretariat.audit_trail, name="audit-trail"),
    path("sekretariat/perpanjangan/", views_secretariat.extensions, name="extensions"),
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
    path("admin/", admin.site.urls),
]

# The 500 page renders without static files, context processors or the database.
handler500 = "kla.views_errors.server_error"
