"""The error an upload is refused with, and the refusals both the sniffer and the content
check give, so each is worded (and translated) once."""

from django.utils.translation import gettext as _

from core.errors import DomainError


class UploadRefused(DomainError):
    """The file is not accepted; the message says why, in words the uploader can act on."""


class StorageUnavailable(DomainError):
    """The evidence storage (a bucket) could not take or give the file right now: nothing
    is wrong with the file, and the same step may succeed when tried again."""


def macros_refused() -> UploadRefused:
    return UploadRefused(
        _(
            "The document contains macros, which could run on the reviewer's computer. Save it "
            "without macros (as .docx, .xlsx, .odt or .ods) and upload it again."
        ),
        code="macro",
    )


def document_damaged() -> UploadRefused:
    return UploadRefused(
        _("The document is damaged or incomplete and cannot be read. Save it again and retry."),
        code="damaged",
    )
