"""What the upload script (assets/js/evidence-upload.js) is told by the page: the size limit,
the piece size of a resumable upload and the size photos are shrunk to, as plain strings (no
localised decimals). For every page that carries an upload area: the table of a per-unit
question (a widget per row) as well as the answer page."""

from django.conf import settings


def upload_limits() -> dict:
    max_bytes = settings.EVIDENCE_MAX_UPLOAD_BYTES
    return {
        "max_bytes": str(max_bytes),
        "max_mb": f"{max_bytes / (1024 * 1024):g}",
        "chunk_bytes": str(settings.KLA_TUS_CHUNK_BYTES),
        "photo_megapixels": f"{settings.KLA_PHOTO_MAX_MEGAPIXELS:g}",
    }
