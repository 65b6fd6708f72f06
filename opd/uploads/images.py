"""How many pixels an image has, read from its header, never by decoding it.

A PNG of 0.9 MB may declare 900 megapixels: decoding it takes gigabytes, wherever that
happens (the entry kit's WeasyPrint, a reviewer's browser showing the preview). Images with
more pixels than KLA_IMAGE_MAX_MEGAPIXELS are refused at upload; one stored before the limit
existed is neither previewed nor merged into the entry kit (`too_many_pixels`).

Pillow's Image.open reads only the header (the size is known before any pixel). Its own guard,
Image.MAX_IMAGE_PIXELS, is set to the same limit when the app starts (OpdConfig.ready), so
WeasyPrint's reads stop there too; past it Pillow warns, and past twice it raises
DecompressionBombError: answered here as "too many pixels", never a server error.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from opd.uploads.errors import UploadRefused

IMAGE_KINDS = frozenset({"jpeg", "png"})
_FORMATS = ["JPEG", "PNG"]


def max_pixels() -> int:
    return settings.KLA_IMAGE_MAX_MEGAPIXELS * 1_000_000


class _TooManyPixels(Exception):
    pass


def image_pixels(source) -> int:
    """Width x height from the header of the image at `source` (a path or an open binary
    file). Raises _TooManyPixels past Pillow's own guard, or OSError, SyntaxError or
    ValueError if the header cannot be read."""
    try:
        # No warnings.catch_warnings() around it: it changes the filters of every thread of
        # the worker. Pillow's warning is logged; where warnings are errors, it is caught.
        with Image.open(source, formats=_FORMATS) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _TooManyPixels from None
    return width * height


def too_many_pixels(source) -> bool | None:
    """Whether the image at `source` has more pixels than the limit; None if its header
    cannot be read."""
    try:
        return image_pixels(source) > max_pixels()
    except _TooManyPixels:
        return True
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError):
        return None


def check_image(path) -> None:
    """Refuse an image over the pixel limit, or one whose header cannot be read (its size, so
    what decoding it would cost, is unknown)."""
    verdict = too_many_pixels(path)
    if verdict is None:
        raise UploadRefused(
            _(
                "The image is damaged or incomplete and cannot be read. Save or export it "
                "again (as JPEG or PNG) and upload the new file."
            ),
            code="image_damaged",
        )
    if verdict:
        raise too_many_pixels_refused()


def too_many_pixels_refused() -> UploadRefused:
    return UploadRefused(
        _(
            "The image has more than %(mp)s megapixels, too many to be shown or printed. "
            "Resize it (for example to 4000 x 3000 pixels) and upload it again."
        )
        % {"mp": settings.KLA_IMAGE_MAX_MEGAPIXELS},
        code="too_many_pixels",
    )
