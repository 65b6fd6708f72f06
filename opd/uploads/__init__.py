"""Evidence uploads: naming and typing them (sniff), judging their active content (content),
storing them durably (storage). The rest of the product imports from here."""

from opd.uploads.content import check_content
from opd.uploads.errors import UploadRefused
from opd.uploads.sniff import ACCEPTED_CONTENT_TYPES, TYPES, clean_filename, detect_type
from opd.uploads.storage import EVIDENCE_DIR, TEMP_PREFIX, StoredFile, remove_stored, store_upload

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "EVIDENCE_DIR",
    "TEMP_PREFIX",
    "TYPES",
    "StoredFile",
    "UploadRefused",
    "check_content",
    "clean_filename",
    "detect_type",
    "remove_stored",
    "store_upload",
]
