"""Evidence uploads: naming and typing them (sniff), judging their active content (content),
storing them durably (storage). The rest of the product imports from here."""

from opd.uploads.content import check_content
from opd.uploads.errors import UploadRefused
from opd.uploads.images import max_pixels, too_many_pixels
from opd.uploads.sniff import (
    ACCEPTED_CONTENT_TYPES,
    HEAD_BYTES,
    TYPES,
    clean_filename,
    detect_type,
)
from opd.uploads.storage import (
    EVIDENCE_DIR,
    TEMP_PREFIX,
    StoredFile,
    check_start,
    open_spool_file,
    remove_stored,
    store_local_file,
    store_upload,
    too_large,
)

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "EVIDENCE_DIR",
    "HEAD_BYTES",
    "TEMP_PREFIX",
    "TYPES",
    "StoredFile",
    "UploadRefused",
    "check_content",
    "check_start",
    "clean_filename",
    "detect_type",
    "max_pixels",
    "open_spool_file",
    "remove_stored",
    "store_local_file",
    "store_upload",
    "too_large",
    "too_many_pixels",
]
