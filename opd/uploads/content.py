"""Active content in evidence files, judged by well-kept parsers rather than by hand.

PDF: qpdf (through pikepdf) opens the file and resolves every object, including those packed
in object streams whatever their filters; the check walks every dictionary and array. Refused:
JavaScript (a /JS key, a /JavaScript action or name tree, a 3D annotation's script) and XFA
forms; actions that start programs, open other files or send data (/Launch, /GoToR, /GoToE,
/SubmitForm, /ImportData); actions that run by themselves (/OpenAction, /AA) unless they only
jump inside the document; embedded files and RichMedia. A link the reader must click stays
allowed. Page content streams are never decoded: they cannot hold any of this. An object
stream qpdf cannot decode within its memory limits (a decompression bomb), or packed with LZW,
which has none, is refused: the objects in it would go unchecked.

Word and Excel (docx, xlsx): oletools finds VBA macros (olevba, in any OLE part whatever its
name) and DDE fields in Word (msodde). Also refused: macro and ActiveX parts, embedded OLE
objects (where programs hide), Excel's DDE links and formulas that call another program
(`cmd|' /C calc'!A0`), and relationships to anything outside the file other than hyperlinks
(a remote template, a linked frame or sub-document), which the application would fetch by
itself. Embedded packages (a chart's workbook) get the same check of their parts.

OpenDocument (odt, ods): Basic or script libraries, event listeners, scripts and links to
macros, in any XML part; embedded OLE objects as for Word.

A file a parser cannot read is refused as damaged: an unreadable file is never let through
unchecked, and a parser's error never becomes a server error.
"""

import logging
import re
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
from django.utils.translation import gettext as _

from opd.uploads.errors import UploadRefused, document_damaged, macros_refused
from opd.uploads.images import IMAGE_KINDS, check_image
from opd.uploads.isolation import TOO_COMPLEX, run_isolated

with warnings.catch_warnings():
    # olevba builds its VBA grammar with pyparsing names deprecated since pyparsing 3: a
    # screenful of warnings at every start, about code that is not ours.
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools import msodde, oleobj
    from oletools.olevba import VBA_Parser

logger = logging.getLogger(__name__)

# Once the root logger has handlers (Django's LOGGING), oletools lets its loggers follow the
# root's level, and they narrate every file they open and every odd part they skip. What
# matters reaches us as an exception or a finding, so they stay quiet.
for _name in (
    "olevba",
    "msodde",
    "ooxml",
    "oleobj",
    "olefile",
    "record_base",
    "rtfobj",
    "crypto",
    "ppt",
):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def check_content(path: Path, kind: str) -> None:
    """Raise UploadRefused if the complete file at `path`, of the detected `kind`, carries
    active content, cannot be read to tell, or is too large to judge: an image with more
    pixels than KLA_IMAGE_MAX_MEGAPIXELS (from its header), a document the check cannot
    finish within KLA_CONTENT_CHECK_MEMORY_MB and KLA_CONTENT_CHECK_SECONDS.

    Every upload comes here (storage.py's _Checker.judge, for the form and the resumable
    upload alike). Documents are checked in a child process (isolation.py), images here.
    """
    if kind in IMAGE_KINDS:
        check_image(path)
        return
    if kind not in _CHECKS:
        return
    outcome = run_isolated(path, kind)
    if outcome.code is None:
        return
    refusal = _REFUSALS.get(outcome.code)
    if refusal is None:
        logger.warning("content check answered an unknown code %r", outcome.code)
        refusal = _pdf_damaged if kind == "pdf" else document_damaged
    raise refusal()


def check_here(path: Path, kind: str) -> None:
    """The active-content check in this process, without limits: what the child process of
    check_content runs, and the tests call to look at one rule."""
    check = _CHECKS.get(kind)
    if check is None:
        return  # JPEG, PNG: pixels only
    try:
        check(path)
    except (UploadRefused, MemoryError):
        raise  # a MemoryError is the child's limit: too complex, not damaged
    except Exception:
        # Each parser fails its own way on broken or hostile input (struct errors, assertion
        # errors, recursion): whatever it is, the file could not be checked.
        logger.info("content check could not read a %s upload", kind, exc_info=True)
        raise _pdf_damaged() if kind == "pdf" else document_damaged() from None


# --- PDF ------------------------------------------------------------------------------------


def _pdf_damaged() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF is damaged and cannot be checked. Export it again from the application "
            "that made it and upload the new file."
        ),
        code="pdf_damaged",
    )


def _pdf_unchecked() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF cannot be checked: its compressed parts expand too much, or use an "
            "outdated compression. Print it to a new PDF (or save it again from the "
            "application that made it) and upload that file."
        ),
        code="pdf_unchecked",
    )


def _pdf_protected() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF is protected with a password, so it cannot be checked. Remove the "
            "password (or print it to a new PDF) and upload that file."
        ),
        code="pdf_protected",
    )


def too_complex() -> UploadRefused:
    """The refusal of a document the check could not finish within its memory and time."""
    return UploadRefused(
        _(
            "The file is too complex to be checked. Save it again as a plain PDF, or make it "
            "smaller, and upload it again."
        ),
        code=TOO_COMPLEX,
    )


def _pdf_script() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF contains JavaScript or an XFA form, which could run on the reviewer's "
            "computer. Print it to a new PDF (or scan the paper) and upload that file."
        ),
        code="pdf_script",
    )


def _pdf_outside_action() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF contains actions that start programs, open other files or send form "
            "data. Print it to a new PDF (or scan the paper) and upload that file."
        ),
        code="pdf_action",
    )


def _pdf_automatic_action() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF does something by itself when it is opened or viewed (for example, it "
            "opens a web page). Print it to a new PDF (or scan the paper) and upload that file."
        ),
        code="pdf_auto_action",
    )


def _pdf_embedded() -> UploadRefused:
    return UploadRefused(
        _(
            "This PDF carries embedded files or media. Upload each of those files on its own, "
            "and print the PDF to a new PDF without them."
        ),
        code="pdf_embedded",
    )


# qpdf decodes an object stream whole, in memory, to read the objects packed in it; a few KB of
# Flate can expand to gigabytes. These limits hold per stream, for every Pdf of the process;
# nothing else here decodes large streams. All object streams of one file together may expand
# to _OBJECT_STREAMS_LIMIT, far beyond what even a long document needs.
_STREAM_LIMIT = 64 * 1024 * 1024
_OBJECT_STREAMS_LIMIT = 128 * 1024 * 1024
pikepdf.settings.set_qpdf_limits(
    flate_max_memory=_STREAM_LIMIT,
    png_max_memory=_STREAM_LIMIT,
    tiff_max_memory=_STREAM_LIMIT,
    run_length_max_memory=_STREAM_LIMIT,
)

# Keys that exist only to hold scripts: an action's /JS, the document's /JavaScript name tree,
# a 3D annotation's /OnInstantiate script, an AcroForm's /XFA (an XML form with its scripts).
_SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/OnInstantiate", "/XFA"})
# Keys that exist only to carry files or media inside the PDF.
_EMBEDDED_KEYS = frozenset({"/EmbeddedFiles", "/EF", "/RichMediaContent", "/RichMediaSettings"})
_EMBEDDED_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia"})
_OUTSIDE_ACTIONS = frozenset({"/Launch", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData"})


def _check_pdf(path: Path) -> None:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise _pdf_protected() from None
    except pikepdf.PdfError:
        raise _pdf_damaged() from None
    # qpdf's warnings (a wrong offset, a table rebuilt) are flaws it repaired, not a refusal.
    with pdf:
        _check_object_streams(pdf)
        _walk_pdf(pdf)


def _check_object_streams(pdf: pikepdf.Pdf) -> None:
    """Refuse object streams qpdf could not decode within the limits, before it resolves the
    objects packed in them: those would otherwise go unchecked, or fill the memory."""
    numbers = {
        entry.obj_stream_number for entry in pdf.get_xref_table().values() if entry.type == 2
    }
    decoded = 0
    for number in numbers:
        stream = pdf.get_object(number, 0)
        if not isinstance(stream, pikepdf.Stream):
            raise _pdf_damaged()
        filters = stream.get("/Filter")
        # A chain of filters is an array ([/ASCII85Decode /FlateDecode]); `"/LZWDecode" in`
        # an array raises TypeError in pikepdf, which refused harmless files as damaged.
        chain = filters if isinstance(filters, pikepdf.Array) else [filters]
        if any(one == "/LZWDecode" for one in chain):
            raise _pdf_unchecked()  # qpdf sets no memory limit on LZW
        try:
            decoded += len(stream.read_bytes())
        except pikepdf.PdfError:
            raise _pdf_unchecked() from None
        if decoded > _OBJECT_STREAMS_LIMIT:
            raise _pdf_unchecked()


_CONTAINERS = (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)


def _walk_pdf(pdf: pikepdf.Pdf) -> None:
    """Every dictionary of the file, indirect or nested inside another object, once."""
    # pdf.objects lists every indirect object, those inside object streams too (qpdf decodes
    # them whatever their filters). Direct objects cannot form cycles, so the only guard
    # needed is the set of indirect objects already queued, by object and generation number.
    pending = [obj for obj in pdf.objects if isinstance(obj, _CONTAINERS)]
    queued = {obj.objgen for obj in pending}
    pending.append(pdf.trailer)
    runs_by_itself = False
    while pending:
        obj = pending.pop()
        if isinstance(obj, pikepdf.Array):
            children = obj
        else:
            entries = dict(obj.items())  # one call into qpdf for keys and values
            runs_by_itself |= _check_dictionary(entries)
            children = entries.values()
        for child in children:
            if not isinstance(child, _CONTAINERS):
                continue
            if child.is_indirect:
                if child.objgen in queued:
                    continue
                queued.add(child.objgen)
            pending.append(child)
    # Last: what the automatic action does (a script, a program) makes the better message.
    if runs_by_itself:
        raise _pdf_automatic_action()


def _check_dictionary(entries: dict) -> bool:
    """Refuse what the dictionary (its entries) is or holds; True if it starts an action by
    itself that does more than jump inside the document."""
    keys = entries.keys()
    if not keys.isdisjoint(_SCRIPT_KEYS):
        raise _pdf_script()
    if not keys.isdisjoint(_EMBEDDED_KEYS):
        raise _pdf_embedded()
    if entries.get("/Type") == "/EmbeddedFile" or entries.get("/Subtype") in _EMBEDDED_SUBTYPES:
        raise _pdf_embedded()
    action = entries.get("/S")
    if action == "/JavaScript":
        raise _pdf_script()
    if action in _OUTSIDE_ACTIONS:
        raise _pdf_outside_action()
    if action == "/RichMediaExecute":
        raise _pdf_embedded()
    if "/OpenAction" in keys and not _only_jumps(entries["/OpenAction"]):
        return True
    triggers = entries.get("/AA")
    return isinstance(triggers, pikepdf.Dictionary) and not all(
        _only_jumps(action) for action in triggers.values()
    )


def _only_jumps(action) -> bool:
    """True if the action, and every action chained to it by /Next, only goes to a place in
    this document: a destination (an array, or a name or string naming one) or /S /GoTo."""
    pending, seen = [action], set()
    while pending:
        item = pending.pop()
        if item is None or isinstance(item, (pikepdf.Array, pikepdf.Name, pikepdf.String)):
            continue
        if not isinstance(item, pikepdf.Dictionary) or item.get("/S") != "/GoTo":
            return False
        if item.is_indirect:
            if item.objgen in seen:
                continue  # a /Next chain that loops back
            seen.add(item.objgen)
        following = item.get("/Next")
        if isinstance(following, pikepdf.Array):
            pending.extend(following)
        elif following is not None:
            pending.append(following)
    return True


# --- Office documents (docx, xlsx) and OpenDocument (odt, ods) ------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# An embedded package (a chart's workbook) is read through a spool: in memory up to this size,
# then on disk.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_READ_STEP = 1024 * 1024


def _embedded_objects() -> UploadRefused:
    return UploadRefused(
        _(
            "The document contains embedded objects or controls (OLE, ActiveX), which can hide "
            "programs. Delete them (paste a picture or a table instead), save the document and "
            "upload it again."
        ),
        code="embedded_object",
    )


def _outside_links() -> UploadRefused:
    return UploadRefused(
        _(
            "The document loads parts from outside itself when it is opened (a template, frame "
            "or file on another computer or website). Remove those links, or save the document "
            "as PDF, and upload it again."
        ),
        code="external_link",
    )


def _dde() -> UploadRefused:
    return UploadRefused(
        _(
            "The document contains DDE links or formulas that start other programs. Replace "
            "them by their values (or save the document as PDF) and upload it again."
        ),
        code="dde",
    )


def _odf_scripts() -> UploadRefused:
    return UploadRefused(
        _(
            "The document starts macros or scripts by itself (when it is opened, or from a "
            "link or button). Remove them, save the document and upload it again."
        ),
        code="odf_script",
    )


def _xml_events(part, events=("end",)):
    """Parse events of an XML part, each element cleared once its end is seen: memory stays
    small whatever the part's size.

    Expat (2.4.1 and later, as Python bundles it) caps entity expansion, so "billion laughs"
    and quadratic blow-ups fail as damaged files; external entities are never fetched.
    """
    for event, element in ElementTree.iterparse(part, events):  # noqa: S314 - see above
        yield event, element
        if event == "end":
            element.clear()


_XML_DECLARATION = re.compile(rb"<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)")


def _may_hold(archive: zipfile.ZipFile, info: zipfile.ZipInfo, needles, pattern=None) -> bool:
    """Whether the part could hold what an XML parser is about to look for: False only if it
    is no XML at all, or UTF-8 XML in whose bytes (lower-cased) no needle occurs.

    A gate in front of the parser, not a judge: parsing every element of a 100 MB sheet takes
    seconds, reading its bytes a fraction of one. In UTF-8, XML spells a name only with its
    own bytes; text and attribute values may also use character references, so a caller
    looking for a value passes "&#" among the needles. Any other encoding goes to the parser.
    """
    overlap = max(len(needle) for needle in needles)
    with archive.open(info) as part:
        head = part.read(_READ_STEP)
        text = head.removeprefix(b"\xef\xbb\xbf")
        if text.startswith((b"\xfe\xff", b"\xff\xfe", b"<\x00", b"\x00<")):
            return True  # UTF-16, which expat reads too
        if not text.lstrip(b" \t\r\n").startswith(b"<"):
            return False  # an image or other binary part: no XML reader takes it
        declared = _XML_DECLARATION.match(text)
        if declared and declared.group(1).lower() != b"utf-8":
            return True
        tail, chunk = b"", head
        while chunk:
            window = (tail + chunk).lower()
            if any(needle in window for needle in needles):
                return True
            if pattern is not None and pattern.search(window):
                return True
            tail, chunk = window[-overlap:], part.read(_READ_STEP)
    return False


# Content types of parts that hold macros (VBA projects, Excel 4 macro sheets) or controls.
_MACRO_CONTENT_TYPE = re.compile(r"vbaproject|vbadata|macroenabled|macrosheet", re.IGNORECASE)
_CONTROL_CONTENT_TYPE = re.compile(r"activex|oleobject", re.IGNORECASE)
# Relationships that bring in an object or a control, wherever their target lies.
_OBJECT_RELATIONSHIPS = frozenset({"oleObject", "control", "activeXControlBinary"})


def _check_ooxml(path: Path, kind: str) -> None:
    parser = VBA_Parser(str(path))
    try:
        # Finds a VBA project in any OLE part, whatever the part is called.
        if parser.detect_vba_macros():
            raise macros_refused()
    finally:
        parser.close()
    with zipfile.ZipFile(path) as archive:
        _check_package(archive, nested=False)
        files = [info for info in archive.infolist() if not info.is_dir()]
        if kind == "xlsx":
            for info in files:
                if _may_hold(archive, info, (b"|", b"&#", b"ddelink")):
                    _check_spreadsheet_part(archive, info)
            return
        # Word runs DDE only from a field. It finds its parts by their relationships, whatever
        # their names, so every part is looked at.
        if any(_may_hold(archive, info, (b"instrtext", b"fldsimple")) for info in files):
            fields = msodde.process_docx(str(path), field_filter_mode=msodde.FIELD_FILTER_DDE)
            if fields.strip():
                raise _dde()


def _check_package(archive: zipfile.ZipFile, *, nested: bool) -> None:
    """Macro and control parts, OLE objects and outside relationships of an OOXML package;
    packages embedded in it (a chart's workbook) get the same check, one level deep."""
    names = archive.namelist()
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise macros_refused()
    if "[Content_Types].xml" in names:
        with archive.open("[Content_Types].xml") as part:
            for _event, entry in _xml_events(part):
                content_type = entry.get("ContentType", "")
                if _MACRO_CONTENT_TYPE.search(content_type):
                    raise macros_refused()
                if _CONTROL_CONTENT_TYPE.search(content_type):
                    raise _embedded_objects()
    _check_parts(archive, nested=nested)
    for name in names:
        if name.endswith(".rels"):
            with archive.open(name) as part:
                _check_relationships(part)


def _check_parts(archive: zipfile.ZipFile, *, nested: bool) -> None:
    """Refuse OLE compound files inside the archive, by their first bytes: the part's name and
    declared type may say anything."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        with archive.open(info) as part:
            head = part.read(len(_OLE_MAGIC))
        if head == _OLE_MAGIC:
            raise _embedded_objects()
        if head.startswith(_ZIP_MAGIC):
            if nested:
                raise _embedded_objects()  # a package inside an embedded package
            with (
                archive.open(info) as part,
                tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY) as spool,
            ):
                shutil.copyfileobj(part, spool)
                with zipfile.ZipFile(spool) as inner:
                    _check_package(inner, nested=True)


def _check_relationships(part) -> None:
    for _event, relationship in _xml_events(part):
        if relationship.tag != oleobj.OOXML_RELATIONSHIP_TAG:
            continue
        kind = relationship.get("Type", "").rsplit("/", 1)[-1]
        if kind in _OBJECT_RELATIONSHIPS:
            raise _embedded_objects()
        # A hyperlink is followed only when the reader clicks it; anything else outside the
        # file (attachedTemplate, frame, subDocument, externalLinkPath, an image) is fetched
        # by the application on its own.
        if relationship.get("TargetMode", "").lower() == "external" and kind != "hyperlink":
            raise _outside_links()


# Cells, defined names, conditional formats and validations: formulas Excel evaluates.
_FORMULA_TAGS = frozenset({"f", "formula", "formula1", "formula2", "definedName"})
_QUOTED = re.compile(r"\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'")


def _check_spreadsheet_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """DDE in a workbook: a <ddeLink> (what msodde.process_xlsx looks for, found here in the
    same parse as the formulas: msodde would walk every element of every part, seconds for a
    large sheet), or a formula with a "|" outside quotes, a DDE call: program|topic!item."""
    with archive.open(info) as part:
        for _event, element in _xml_events(part):
            name = element.tag.rsplit("}", 1)[-1]
            if name == "ddeLink":
                raise _dde()
            formula = name in _FORMULA_TAGS and element.text
            if formula and "|" in _QUOTED.sub("", formula):
                raise _dde()


_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_SCRIPT_NS = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
_ODF_SCRIPT_TAGS = frozenset({f"{{{_OFFICE_NS}}}script", f"{{{_SCRIPT_NS}}}event-listener"})
_ODF_EVENT_LISTENERS = f"{{{_OFFICE_NS}}}event-listeners"
_MACRO_URL = re.compile(r"\s*(macro|vnd\.sun\.star\.(script|basic)):", re.IGNORECASE)
# What _check_odf_xml looks for, as bytes: listeners, a <…:script> element (not "scripts",
# not the "script:" prefix every document declares), macro URLs, maybe spelled in references.
_ODF_NEEDLES = (b"event-listener", b"macro:", b"vnd.sun.star.", b"&#")
_ODF_SCRIPT_ELEMENT = re.compile(rb"script[\s/>]")


def _check_odf(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        if any(n.lower().startswith(("basic/", "scripts/")) for n in archive.namelist()):
            raise macros_refused()
        _check_parts(archive, nested=False)
        for info in archive.infolist():
            if not info.is_dir() and _may_hold(archive, info, _ODF_NEEDLES, _ODF_SCRIPT_ELEMENT):
                with archive.open(info) as part:
                    _check_odf_xml(part)


def _check_odf_xml(part) -> None:
    # An empty <office:event-listeners/> is harmless; any listener inside it is not.
    inside_listeners = 0
    for event, element in _xml_events(part, ("start", "end")):
        if event == "end":
            if element.tag == _ODF_EVENT_LISTENERS:
                inside_listeners -= 1
            continue
        if inside_listeners or element.tag in _ODF_SCRIPT_TAGS:
            raise _odf_scripts()
        if element.tag == _ODF_EVENT_LISTENERS:
            inside_listeners += 1
        if any(_MACRO_URL.match(value) for value in element.attrib.values()):
            raise _odf_scripts()


_CHECKS = {
    "pdf": _check_pdf,
    "docx": lambda path: _check_ooxml(path, "docx"),
    "xlsx": lambda path: _check_ooxml(path, "xlsx"),
    "odt": _check_odf,
    "ods": _check_odf,
}

# The child process answers with a refusal's code; the worker words it in the uploader's
# language (test_active_content checks every code of the corpus comes back as itself).
_REFUSALS = {
    "pdf_damaged": _pdf_damaged,
    "pdf_unchecked": _pdf_unchecked,
    "pdf_protected": _pdf_protected,
    "pdf_script": _pdf_script,
    "pdf_action": _pdf_outside_action,
    "pdf_auto_action": _pdf_automatic_action,
    "pdf_embedded": _pdf_embedded,
    "embedded_object": _embedded_objects,
    "external_link": _outside_links,
    "dde": _dde,
    "odf_script": _odf_scripts,
    "macro": macros_refused,
    "damaged": document_damaged,
    TOO_COMPLEX: too_complex,
}
