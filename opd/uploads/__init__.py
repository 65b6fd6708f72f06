"""Evidence uploads: what the rest of the product imports (see storage.py)."""

from opd.uploads.storage import (
    ACCEPTED_CONTENT_TYPES,
    EVIDENCE_DIR,
    TEMP_PREFIX,
    TYPES,
    StoredFile,
    UploadRefused,
    clean_filename,
    detect_type,
    remove_stored,
    store_upload,
)

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "EVIDENCE_DIR",
    "TEMP_PREFIX",
    "TYPES",
    "StoredFile",
    "UploadRefused",
    "clean_filename",
    "detect_type",
    "remove_stored",
    "store_upload",
]
