from django.urls import path

from opd.views import (
    answers,
    coordination,
    documents,
    evidence,
    notices,
    offline,
    review,
    tables,
    tus,
    workspace,
)

app_name = "opd"

_answer = "jawaban/<int:question_id>/<int:unit_id>/"

urlpatterns = [
    path("", offline.private_page(workspace.workspace), name="workspace"),
    path(_answer, offline.private_page(answers.answer_detail), name="answer"),
    # The service worker that keeps the two pages above for use without a connection.
    path("sw.js", offline.service_worker, name="service-worker"),
    path(_answer + "simpan-otomatis/", offline.answer_autosave, name="answer-autosave"),
    path("tabel/<int:question_id>/", tables.question_table, name="question-table"),
    path(
        "tabel/<int:question_id>/setujui/",
        tables.question_table_approve,
        name="question-table-approve",
    ),
    path("dokumen/", documents.document_library, name="documents"),
    path(
        "berkas/<int:revision_id>/daftarkan/",
        documents.document_register,
        name="document-register",
    ),
    path(_answer + "dokumen/", documents.document_attach, name="document-attach"),
    path(
        "tabel/<int:question_id>/simpan/",
        tables.question_table_save,
        name="question-table-save",
    ),
    path(_answer + "simpan/", answers.answer_save, name="answer-save"),
    path(_answer + "kirim/", answers.answer_submit, name="answer-submit"),
    path(_answer + "bukti/unggah/", evidence.evidence_upload, name="evidence-upload"),
    path(_answer + "bukti/tautan/", evidence.evidence_link, name="evidence-link"),
    # Resumable uploads (tus): created for an answer, then addressed by their own id.
    path(_answer + "bukti/tus/", tus.tus_endpoint, name="tus-endpoint"),
    path("unggahan/<uuid:upload_id>/", tus.tus_upload, name="tus-upload"),
    path(_answer + "komentar/", answers.comment_add, name="comment-add"),
    path(_answer + "setujui/", review.answer_approve, name="answer-approve"),
    path(_answer + "revisi/", review.answer_request_revision, name="answer-request-revision"),
    path(_answer + "buka-kembali/", review.answer_reopen, name="answer-reopen"),
    path(_answer + "tinjau/", review.answer_claim, name="answer-claim"),
    path(_answer + "lepas/", review.answer_release, name="answer-release"),
    path("bukti/<int:evidence_id>/ganti/", evidence.evidence_replace, name="evidence-replace"),
    path("bukti/<int:evidence_id>/hapus/", evidence.evidence_remove, name="evidence-remove"),
    path("berkas/<int:revision_id>/unduh/", evidence.revision_download, name="revision-download"),
    path("berkas/<int:revision_id>/pratinjau/", evidence.revision_preview, name="revision-preview"),
    path("tinjauan/", review.review_queue, name="review-queue"),
    # A cluster coordinator's page and actions (the task force's decree names the unit).
    path("klaster/<int:group_id>/", coordination.cluster_page, name="cluster"),
    path(
        _answer + "koordinator/kembalikan/",
        coordination.answer_coordinator_return,
        name="answer-coordinator-return",
    ),
    path(
        _answer + "koordinator/periksa/",
        coordination.answer_coordinator_check,
        name="answer-coordinator-check",
    ),
    path("pemberitahuan/", notices.notices, name="notices"),
]
