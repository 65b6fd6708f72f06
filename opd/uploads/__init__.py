"""Evidence uploads: naming and typing them (sniff), judging their active content (content),
storing them durably (storage). The rest of the product imports from here."""

from opd.uploads.content import check_content
from opd.uploads.errors import StorageUnavailable, UploadRefused
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
    StoredReader,
    check_start,
    open_spool_file,
    open_stored,
    remove_stored,
    storage_is_local,
    storage_unavailable,
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
    "StorageUnavailable",
    "StoredFile",
    "StoredReader",
    "UploadRefused",
    "check_content",
    "check_start",
    "clean_filename",
    "detect_type",
    "max_pixels",
    "open_spool_file",
    "open_stored",
    "remove_stored",
    "storage_is_local",
    "storage_unavailable",
    "store_local_file",
    "store_upload",
    "too_large",
    "too_many_pixels",
]
