"""The site's root URLconf: accounts, language, health, the admin, and each app's pages.

Django's own auth views reverse their names without a namespace ("password_reset_done"), so
they live here; the task force's pages are `kla:...`, the units' pages `opd:...`.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from kla.forms import LoginForm
from kla.healthz import healthz
from kla.password_reset import PasswordResetForm
from kla.views_email import email_change_cancel_view, email_change_confirm_view

urlpatterns = [
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
    path(
        "akun/email/<str:key>/konfirmasi/", email_change_confirm_view, name="email-change-confirm"
    ),
    path("akun/email/<str:key>/batal/", email_change_cancel_view, name="email-change-cancel"),
    path("bahasa/", set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("opd/", include("opd.urls")),
    path("admin/", admin.site.urls),
    path("", include("kla.urls")),
]

# The 500 page renders without static files, context processors or the database.
handler500 = "kla.views_errors.server_error"
