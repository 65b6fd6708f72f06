from django.urls import path

from opd import views, views_documents, views_offline, views_tables, views_tus

app_name = "opd"

_answer = "jawaban/<int:question_id>/<int:unit_id>/"

urlpatterns = [
    path("", views_offline.private_page(views.workspace), name="workspace"),
    path(_answer, views_offline.private_page(views.answer_detail), name="answer"),
    # The service worker that keeps the two pages above for use without a connection.
    path("sw.js", views_offline.service_worker, name="service-worker"),
    path(_answer + "simpan-otomatis/", views_offline.answer_autosave, name="answer-autosave"),
    path("tabel/<int:question_id>/", views_tables.question_table, name="question-table"),
    path(
        "tabel/<int:question_id>/setujui/",
        views_tables.question_table_approve,
        name="question-table-approve",
    ),
    path("dokumen/", views_documents.document_library, name="documents"),
    path(
        "berkas/<int:revision_id>/daftarkan/",
        views_documents.document_register,
        name="document-register",
    ),
    path(_answer + "dokumen/", views_documents.document_attach, name="document-attach"),
    path(
        "tabel/<int:question_id>/simpan/",
        views_tables.question_table_save,
        name="question-table-save",
    ),
    path(_answer + "simpan/", views.answer_save, name="answer-save"),
    path(_answer + "kirim/", views.answer_submit, name="answer-submit"),
    path(_answer + "bukti/unggah/", views.evidence_upload, name="evidence-upload"),
    path(_answer + "bukti/tautan/", views.evidence_link, name="evidence-link"),
    # Resumable uploads (tus): created for an answer, then addressed by their own id.
    path(_answer + "bukti/tus/", views_tus.tus_endpoint, name="tus-endpoint"),
    path("unggahan/<uuid:upload_id>/", views_tus.tus_upload, name="tus-upload"),
    path(_answer + "komentar/", views.comment_add, name="comment-add"),
    path(_answer + "setujui/", views.answer_approve, name="answer-approve"),
    path(_answer + "revisi/", views.answer_request_revision, name="answer-request-revision"),
    path(_answer + "buka-kembali/", views.answer_reopen, name="answer-reopen"),
    path(_answer + "tinjau/", views.answer_claim, name="answer-claim"),
    path(_answer + "lepas/", views.answer_release, name="answer-release"),
    path("bukti/<int:evidence_id>/ganti/", views.evidence_replace, name="evidence-replace"),
    path("bukti/<int:evidence_id>/hapus/", views.evidence_remove, name="evidence-remove"),
    path("berkas/<int:revision_id>/unduh/", views.revision_download, name="revision-download"),
    path("berkas/<int:revision_id>/pratinjau/", views.revision_preview, name="revision-preview"),
    path("tinjauan/", views.review_queue, name="review-queue"),
    path("pemberitahuan/", views.notices, name="notices"),
]
