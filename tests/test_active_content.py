"""Active content in uploads, judged by qpdf (pikepdf) and oletools: the hostile corpus is
refused with a message that says what to do and leaves nothing behind; the valid corpus is
stored and served back byte for byte. Every file is built here, none is shipped."""

import base64
import datetime
import io
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import Workbook
from pikepdf import Array, Dictionary, Name, String

from opd.models import Evidence, EvidenceRevision
from opd.uploads import UploadRefused, check_content, detect_type, isolation
from opd.uploads import content as content_module
from tests import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


# --- PDF builders ---------------------------------------------------------------------------


def _pdf(build=None, **save) -> bytes:
    """A one-page PDF made by pikepdf; `build(pdf)` adds what a case needs."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0].obj
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Perbup KLA 2026) Tj ET")
    page.Resources = Dictionary(
        Font=Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    )
    if build is not None:
        build(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


def _annotate(pdf, annotation: Dictionary) -> None:
    annotation.Type = Name.Annot
    annotation.Rect = Array([72, 690, 300, 710])
    page = pdf.pages[0].obj
    page.Annots = Array([pdf.make_indirect(annotation)])


def _link(action: Dictionary):
    return lambda pdf: _annotate(pdf, Dictionary(Subtype=Name.Link, A=action))


def _open_action(action):
    def build(pdf):
        pdf.Root.OpenAction = action(pdf) if callable(action) else action

    return build


def _submit_button(pdf) -> None:
    submit = Dictionary(S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String("https://x.test/")))
    _annotate(
        pdf, Dictionary(Subtype=Name.Widget, FT=Name.Btn, Ff=65536, T=String("Kirim"), A=submit)
    )
    pdf.Root.AcroForm = Dictionary(Fields=pdf.pages[0].obj.Annots)


def _attachment(pdf) -> None:
    pdf.attachments["data-anak.xlsx"] = pikepdf.AttachedFileSpec(pdf, b"Nama;Umur\nSiti;9\n")


def _scanned_page(pdf) -> None:
    """An image whose (never decoded) data holds active names by chance, as compressed bytes
    may: not a reason to refuse."""
    image = pikepdf.Stream(pdf, b"\xff\xd8\xff\xe0" + b"/JS (x) /JavaScript /Launch" * 100)
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width = image.Height = 10
    image.ColorSpace, image.BitsPerComponent = Name.DeviceGray, 8
    image.Filter = Name.DCTDecode
    pdf.pages[0].obj.Resources.XObject = Dictionary(Im0=image)


def _classic_pdf(*objects: bytes) -> bytes:
    """Objects 1..n written as they are, with a classic cross-reference table; 1 is /Root."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"


def _packed_pdf(catalog_extra: bytes, encode, *, packed=(1, 2), extra=b"<< >>") -> bytes:
    """Objects 1 (catalog), 2 (page tree), 3 (page) and 6 (`extra`); those in `packed` sit in
    an object stream (4) encoded by `encode`, the others plain; a cross-reference stream (5).
    Written byte by byte, so no writer decides how. `encode(data)` returns the stream data
    and its /Filter entries."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: PAGE,
        6: extra,
    }
    packed = list(packed)
    header, body = b"", b""
    for number in packed:
        header += b"%d %d " % (number, len(body))
        body += objects[number] + b"\n"
    data, filters = encode(header + body)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(set(objects) - set(packed)):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    offsets[4] = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d %s >>\nstream\n" % (
        len(packed),
        len(header),
        len(data),
        filters,
    )
    out += data + b"\nendstream\nendobj\n"
    offsets[5] = len(out)
    rows = [b"\x00" + struct.pack(">IH", 0, 65535)]
    for number in (1, 2, 3, 4, 5, 6):
        if number in packed:
            rows.append(b"\x02" + struct.pack(">IH", 4, packed.index(number)))
        else:
            rows.append(b"\x01" + struct.pack(">IH", offsets[number], 0))
    table = b"".join(rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\n" % len(table)
    out += b"stream\n" + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[5]
    return bytes(out)


def _hex(data: bytes):
    return data.hex().upper().encode() + b">", b"/Filter /ASCIIHexDecode"


def _ascii85(data: bytes):
    return base64.a85encode(data) + b"~>", b"/Filter /ASCII85Decode"


def _flate_png_up(data: bytes, columns: int = 12):
    """Flate over PNG "Up" rows (predictor 12): each byte stored as its difference to the one
    above."""
    data = data.ljust(-(-len(data) // columns) * columns, b" ")
    rows, previous = [], bytes(columns)
    for start in range(0, len(data), columns):
        row = data[start : start + columns]
        rows.append(b"\x02" + bytes((a - b) & 0xFF for a, b in zip(row, previous, strict=True)))
        previous = row
    params = b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns %d >>" % columns
    return zlib.compress(b"".join(rows)), params


def _flate_padded(megabytes: int):
    """Flate over the objects and then this many MB of blanks, which compress to almost
    nothing."""

    def encode(data: bytes):
        packer, blanks = zlib.compressobj(9), b" " * (1024 * 1024)
        packed = [packer.compress(data)] + [packer.compress(blanks) for _ in range(megabytes)]
        return b"".join(packed) + packer.flush(), b"/Filter /FlateDecode"

    return encode


def _lzw(data: bytes):
    """LZW as PDF writes it (early change): a tiny encoder, enough for a short stream."""
    table = {bytes([i]): i for i in range(256)}
    codes, word = [256], b""
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        codes.append(table[word])
        table[candidate] = len(table) + 2  # 256 and 257 are clear and end
        word = bytes([byte])
    codes += [table[word], 257]
    bits, width, size = "", 9, 258
    for code in codes:
        bits += format(code, f"0{width}b")
        if code != 256:
            size += 1
        if size + 1 >= 1 << width and width < 12:
            width += 1
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big"), b"/Filter /LZWDecode"


JS_NAME_TREE = (
    b"/Names << /JavaScript << /Names [(go) << /S /JavaScript /JS (app.alert\\(1\\)) >>] >> >>"
)


def _flawed_pdf() -> bytes:
    """A wrong startxref offset: qpdf warns and rebuilds the table, as viewers do."""
    data = _pdf()
    at = data.rindex(b"startxref\n") + len(b"startxref\n")
    return data[:at] + b"9" + data[at:]


def _xfa_behind_fake_stream() -> bytes:
    """XFA in an inline AcroForm dictionary, after a string that holds " stream" and a line
    break: a scanner that takes that for the stream keyword skips to "endstream" (in a later
    string) and never sees /XFA."""
    xdp = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"/>'
    return _classic_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Lang (id stream\n) "
        b"/AcroForm << /Fields [] /XFA [(template) 4 0 R] >> /PageLabels (endstream) >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        b"<< /Length %d >>\nstream\n" % len(xdp) + xdp + b"\nendstream",
    )


# --- Office and OpenDocument builders -------------------------------------------------------


def _zip(parts: dict[str, bytes | str], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), parts[stored_first])
        for name, data in parts.items():
            if name != stored_first:
                archive.writestr(name, data)
    return buffer.getvalue()


def _rezip(data: bytes, changes: dict[str, bytes | str]) -> bytes:
    """The archive with some parts replaced or added, the others copied as they were."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    return _zip({**parts, **changes})


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (version 3) holding these streams; "VBA/dir" makes a
    storage "VBA". Streams are padded to the 4 KB mini-stream cutoff, so all live in the FAT."""
    sector, end, free, fat_sector, no_stream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    entries = [{"name": "Root Entry", "type": 5, "children": [], "data": b""}]
    storages = {"": 0}
    for path, data in streams.items():
        parent = ""
        for part in path.split("/")[:-1]:
            key = f"{parent}/{part}"
            if key not in storages:
                entries.append({"name": part, "type": 1, "children": [], "data": b""})
                storages[key] = len(entries) - 1
                entries[storages[parent]]["children"].append(storages[key])
            parent = key
        name = path.split("/")[-1]
        entries.append({"name": name, "type": 2, "children": [], "data": data.ljust(4096, b"\0")})
        entries[storages[parent]]["children"].append(len(entries) - 1)
    body, fat = bytearray(), []
    for entry in entries:
        entry["start"], entry["size"], entry["right"] = (
            end if entry["type"] == 5 else 0,
            0,
            no_stream,
        )
        if entry["type"] == 2:
            count = len(entry["data"]) // sector
            entry["start"], entry["size"] = len(fat), len(entry["data"])
            fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
            body += entry["data"]
    for entry in entries:  # siblings as a chain of right links
        for left, right in zip(entry["children"], entry["children"][1:], strict=False):
            entries[left]["right"] = right
    directory = bytearray()
    for entry in entries:
        name = entry["name"].encode("utf-16-le") + b"\0\0"
        child = entry["children"][0] if entry["children"] else no_stream
        directory += name.ljust(64, b"\0") + struct.pack(
            "<HBBIII16sIQQIII",
            len(name),
            entry["type"],
            1,
            no_stream,
            entry["right"],
            child,
            bytes(16),
            0,
            0,
            0,
            entry["start"],
            entry["size"],
            0,
        )
    directory = directory.ljust(-(-len(directory) // sector) * sector, b"\0")
    directory_start = len(fat)
    count = len(directory) // sector
    fat += [directory_start + i + 1 for i in range(count - 1)] + [end]
    body += directory
    fat_start = len(fat)
    fat.append(fat_sector)  # one FAT sector holds 128 entries: plenty here
    assert len(fat) <= sector // 4
    body += struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack(
            "<HHHHH6sIIIIIIIII",
            0x3E,
            3,
            0xFFFE,
            9,
            6,
            bytes(6),
            0,
            1,
            directory_start,
            0,
            4096,
            end,
            0,
            end,
            0,
        )
        + struct.pack("<109I", fat_start, *[free] * 108)
    )
    return header + bytes(body)


VBA_PROJECT = _compound_file(
    {
        "PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nDocument=ThisDocument/&H00000000\r\n',
        "VBA/dir": b"\x01\x00\x00",
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00",
        "VBA/ThisDocument": b'Attribute VB_Name = "ThisDocument"\r\nSub AutoOpen()\r\nShell "calc"\r\nEnd Sub\r\n',
    }
)


def _packaged_program() -> bytes:
    """An embedded OLE "Package" object carrying a program, as Word stores one."""
    native = b"\x02\x00" + b"laporan.exe\0" + b"C:\\laporan.exe\0" + struct.pack("<II", 0, 3)
    native += b"C:\\Temp\\laporan.exe\0" + struct.pack("<I", 64) + b"MZ" + b"\x90" * 62
    return _compound_file({"\x01Ole10Native": struct.pack("<I", len(native)) + native})


CT = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _relationships(*rows: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">{"".join(rows)}</Relationships>'


def _relationship(rid: str, kind: str, target: str, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}"{mode}/>'


def _docx(body: str = "", *, rels=(), types: str = "", parts=None) -> bytes:
    paragraphs = '<w:p><w:r><w:t xml:space="preserve">Laporan KLA 2026</w:t></w:r></w:p>' + body
    return _zip(
        {
            "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="png" ContentType="image/png"/>'
            f'<Override PartName="/word/document.xml" ContentType="{DOCUMENT_TYPE}"/>{types}</Types>',
            "_rels/.rels": _relationships(
                _relationship("rId1", "officeDocument", "word/document.xml")
            ),
            "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{paragraphs}</w:body></w:document>',
            "word/_rels/document.xml.rels": _relationships(*rels),
            **(parts or {}),
        }
    )


HYPERLINK_BODY = (
    '<w:p><w:hyperlink r:id="rId9"><w:r><w:t>Perbup di JDIH</w:t></w:r></w:hyperlink></w:p>'
    '<w:p><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'
)
DDEAUTO_FIELD = (
    "<w:p><w:fldSimple w:instr=' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc.exe\" '>"
    "<w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>"
)
# The same, as Word writes a field: begin, the instruction in runs (split here), end.
DDE_FIELD_IN_RUNS = (
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> DD</w:instrText></w:r>'
    '<w:r><w:instrText xml:space="preserve">E c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
)


def _xlsx(*cells, formula_hidden: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nama desa", "Anak", "Catatan"])
    sheet.append(["Tungkal Ilir", 120, '=CONCATENATE("ada|tidak", B2)'])
    for cell in cells:
        sheet.append(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if formula_hidden:  # "|" as a character reference: the same formula for Excel
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml")
        data = _rezip(data, {"xl/worksheets/sheet1.xml": xml.replace(b"cmd|", b"cmd&#124;")})
    return data


def _xlsx_with_dde_link() -> bytes:
    """An external-link part holding a DDE link, as Excel saves =cmd|' /C calc'!A0."""
    data = _xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    link_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
    return _rezip(
        data,
        {
            "[Content_Types].xml": types.replace(
                "</Types>",
                f'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="{link_type}"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": rels.replace(
                "</Relationships>",
                _relationship("rId99", "externalLink", "externalLinks/externalLink1.xml")
                + "</Relationships>",
            ),
            "xl/externalLinks/externalLink1.xml": '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<ddeLink ddeService="cmd" ddeTopic="/C calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink></externalLink>',
        },
    )


def _xlsx_with_dde_name() -> bytes:
    data = _xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = archive.read("xl/workbook.xml").decode()
    name = (
        "<definedNames><definedName name=\"hitung\">cmd|'/C calc'!A0</definedName></definedNames>"
    )
    return _rezip(data, {"xl/workbook.xml": book.replace("</sheets>", "</sheets>" + name)})


ODF = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "script": "urn:oasis:names:tc:opendocument:xmlns:script:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
NAMESPACES = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in ODF.items())


def _odf(kind: str, body: str, *, scripts: str = "<office:scripts/>", parts=None) -> bytes:
    mimetype = f"application/vnd.oasis.opendocument.{'text' if kind == 'odt' else 'spreadsheet'}"
    inner = (
        f"<office:text>{body}</office:text>"
        if kind == "odt"
        else f"<office:spreadsheet>{body}</office:spreadsheet>"
    )
    return _zip(
        {
            "mimetype": mimetype,
            "content.xml": f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.3">'
            f"{scripts}<office:body>{inner}</office:body></office:document-content>",
            "styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NAMESPACES} office:version="1.3"/>',
            "META-INF/manifest.xml": '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
            **(parts or {}),
        },
        stored_first="mimetype",
    )


ODT_TEXT = '<text:p>Laporan KLA <text:a xlink:type="simple" xlink:href="https://jdih.example/perbup">Perbup</text:a></text:p>'
ODS_TABLE = '<table:table table:name="Data"><table:table-row><table:table-cell office:value-type="float" office:value="120"><text:p>120</text:p></table:table-cell></table:table-row></table:table>'
EVENT_SCRIPT = (
    '<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" '
    'script:event-name="office:load" xlink:type="simple" '
    'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
    "</office:event-listeners></office:scripts>"
)
# A link that runs a macro when clicked, its scheme spelled with a character reference.
MACRO_LINK = (
    '<text:p><text:a xlink:type="simple" xlink:href="&#118;nd.sun.star.script:Standard.Module1.Main'
    '?language=Basic&amp;location=document">Buka data</text:a></text:p>'
)


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# --- The corpus -----------------------------------------------------------------------------

OLE_OBJECT_TYPE = '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>'

HOSTILE = {
    # PDF: JavaScript packed in an object stream, three encodings that hide it from the bytes.
    "js-objstm-hex.pdf": (_packed_pdf(JS_NAME_TREE, _hex), "pdf_script"),
    "js-objstm-ascii85.pdf": (_packed_pdf(JS_NAME_TREE, _ascii85), "pdf_script"),
    "js-objstm-predictor.pdf": (_packed_pdf(JS_NAME_TREE, _flate_png_up), "pdf_script"),
    "xfa-fake-stream.pdf": (_xfa_behind_fake_stream(), "pdf_script"),
    "rendition-js.pdf": (
        _pdf(_link(Dictionary(S=Name.Rendition, OP=4, JS=String("app.alert(1)")))),
        "pdf_script",
    ),
    "open-url.pdf": (
        _pdf(_open_action(Dictionary(S=Name.URI, URI=String("https://x.test/")))),
        "pdf_auto_action",
    ),
    "goto-then-url.pdf": (
        _pdf(
            _open_action(
                lambda pdf: Dictionary(
                    S=Name.GoTo,
                    D=Array([pdf.pages[0].obj, Name.Fit]),
                    Next=Dictionary(S=Name.URI, URI=String("https://x.test/")),
                )
            )
        ),
        "pdf_auto_action",
    ),
    "page-opens-url.pdf": (
        _pdf(
            lambda pdf: setattr(
                pdf.pages[0].obj,
                "AA",
                Dictionary(O=Dictionary(S=Name.URI, URI=String("https://x.test/"))),
            )
        ),
        "pdf_auto_action",
    ),
    "submit.pdf": (_pdf(_submit_button), "pdf_action"),
    "goto-share.pdf": (
        _pdf(
            _link(
                Dictionary(
                    S=Name.GoToR, F=String("\\\\server\\share\\x.pdf"), D=Array([0, Name.Fit])
                )
            )
        ),
        "pdf_action",
    ),
    "launch.pdf": (
        _pdf(_link(Dictionary(S=Name.Launch, F=String("C:\\Windows\\System32\\cmd.exe")))),
        "pdf_action",
    ),
    "import-data.pdf": (
        _pdf(_link(Dictionary(S=Name.ImportData, F=String("data.fdf")))),
        "pdf_action",
    ),
    "embedded.pdf": (_pdf(_attachment), "pdf_embedded"),
    "paperclip.pdf": (
        _pdf(
            lambda pdf: _annotate(
                pdf, Dictionary(Subtype=Name.FileAttachment, FS=String("data.xlsx"))
            )
        ),
        "pdf_embedded",
    ),
    "rich-media.pdf": (
        _pdf(lambda pdf: _annotate(pdf, Dictionary(Subtype=Name.RichMedia))),
        "pdf_embedded",
    ),
    "js-objstm-lzw.pdf": (_packed_pdf(JS_NAME_TREE, _lzw), "pdf_unchecked"),
    "password.pdf": (
        _pdf(encryption=pikepdf.Encryption(owner="pemilik", user="rahasia")),
        "pdf_protected",
    ),
    "broken.pdf": (b"%PDF-1.7\n" + b"\x00" * 64 + b"\n%%EOF\n", "pdf_damaged"),
    # Word and Excel.
    "macro.docx": (_docx(parts={"word/vbaProject.bin": VBA_PROJECT}), "macro"),
    "macro-renamed.docx": (_docx(parts={"word/media/image2.png": VBA_PROJECT}), "macro"),
    "ole-program.docx": (
        _docx(
            '<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" Type="Embed" '
            'ProgID="Package" r:id="rId7"/></w:object></w:r></w:p>',
            rels=[_relationship("rId7", "oleObject", "embeddings/oleObject1.bin")],
            types=OLE_OBJECT_TYPE,
            parts={"word/embeddings/oleObject1.bin": _packaged_program()},
        ),
        "embedded_object",
    ),
    "ole-part-only.docx": (
        _docx(parts={"word/media/image3.png": _packaged_program()}),
        "embedded_object",
    ),
    "ole-relation-only.docx": (
        _docx(rels=[_relationship("rId7", "oleObject", "media/x.png")]),
        "embedded_object",
    ),
    "activex.docx": (
        _docx(
            types='<Override PartName="/word/activeX/activeX1.xml" '
            'ContentType="application/vnd.ms-office.activeX+xml"/>',
            parts={
                "word/activeX/activeX1.xml": "<ax:ocx xmlns:ax='http://schemas.microsoft.com/office/2006/activeX'/>"
            },
        ),
        "embedded_object",
    ),
    "remote-template.docx": (
        _docx(
            parts={
                "word/_rels/settings.xml.rels": _relationships(
                    _relationship(
                        "rId1", "attachedTemplate", "http://x.test/laporan.dotm", external=True
                    )
                )
            }
        ),
        "external_link",
    ),
    "share-template.docx": (
        _docx(
            parts={
                "word/_rels/settings.xml.rels": _relationships(
                    _relationship(
                        "rId1",
                        "attachedTemplate",
                        "file:///\\\\server\\share\\laporan.dotm",
                        external=True,
                    )
                )
            }
        ),
        "external_link",
    ),
    "remote-frame.docx": (
        _docx(rels=[_relationship("rId8", "frame", "https://x.test/frame.html", external=True)]),
        "external_link",
    ),
    "ddeauto.docx": (_docx(DDEAUTO_FIELD), "dde"),
    "dde-runs.docx": (_docx(DDE_FIELD_IN_RUNS), "dde"),
    "dde-formula.xlsx": (_xlsx(["Hitung", 1, "=cmd|' /C calc'!A0"]), "dde"),
    "dde-formula-reference.xlsx": (
        _xlsx(["Hitung", 1, "=cmd|' /C calc'!A0"], formula_hidden=True),
        "dde",
    ),
    "dde-link.xlsx": (_xlsx_with_dde_link(), "dde"),
    "dde-name.xlsx": (_xlsx_with_dde_name(), "dde"),
    "macro-in-chart.docx": (
        _docx(
            parts={
                "word/embeddings/Microsoft_Excel_Worksheet.xlsx": _zip(
                    {
                        "[Content_Types].xml": "<Types/>",
                        "xl/workbook.xml": "<x/>",
                        "xl/vbaProject.bin": VBA_PROJECT,
                    }
                )
            }
        ),
        "macro",
    ),
    # OpenDocument.
    "event-script.odt": (_odf("odt", ODT_TEXT, scripts=EVENT_SCRIPT), "odf_script"),
    "macro-link.odt": (_odf("odt", MACRO_LINK), "odf_script"),
    "event-script.ods": (_odf("ods", ODS_TABLE, scripts=EVENT_SCRIPT), "odf_script"),
    "basic.odt": (
        _odf("odt", ODT_TEXT, parts={"Basic/Standard/Module1.xml": "<script/>"}),
        "macro",
    ),
}

VALID = {
    "perbup.pdf": _pdf(),
    "perbup-objstm.pdf": _pdf(object_stream_mode=pikepdf.ObjectStreamMode.generate),
    "tautan.pdf": _pdf(_link(Dictionary(S=Name.URI, URI=String("https://jdih.example/perbup")))),
    "buka-halaman-1.pdf": _pdf(
        _open_action(lambda pdf: Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit])))
    ),
    "buka-tujuan.pdf": _pdf(_open_action(lambda pdf: Array([pdf.pages[0].obj, Name.FitH, 842]))),
    "lompat.pdf": _pdf(_link(Dictionary(S=Name.GoTo, D=Array([0, Name.Fit])))),
    "cacat-ringan.pdf": _flawed_pdf(),
    "dikunci-pemilik.pdf": _pdf(encryption=pikepdf.Encryption(owner="pemilik", user="")),
    "pindaian.pdf": _pdf(_scanned_page),
    "laporan.docx": _docx(
        HYPERLINK_BODY,
        rels=[_relationship("rId9", "hyperlink", "https://jdih.example/perbup", external=True)],
    ),
    "grafik.docx": _docx(parts={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": _xlsx()}),
    "matriks.xlsx": _xlsx(["Jumlah", "=SUM(B2:B2)", "=B3*2"]),
    "laporan.odt": _odf("odt", ODT_TEXT),
    "data.ods": _odf(
        "ods", ODS_TABLE, scripts="<office:scripts><office:event-listeners/></office:scripts>"
    ),
    "foto.png": samples.png_bytes(),
    "foto.jpg": _jpeg(),
}

# What each refusal tells the uploader to do, in English and in Indonesian.
ACTIONS = {
    "pdf_script": ("Print it to a new PDF", "Cetak ulang ke PDF baru"),
    "pdf_action": ("Print it to a new PDF", "Cetak ulang ke PDF baru"),
    "pdf_auto_action": ("Print it to a new PDF", "Cetak ulang ke PDF baru"),
    "pdf_unchecked": ("Print it to a new PDF", "Cetak ulang ke PDF baru"),
    "pdf_embedded": ("Upload each of those files on its own", "Unggah setiap berkas"),
    "pdf_protected": ("Remove the password", "Hapus kata sandinya"),
    "pdf_damaged": ("Export it again from the application", "Ekspor ulang dari aplikasi"),
    "macro": ("Save it without macros", "Simpan tanpa makro"),
    "embedded_object": ("Delete them", "Hapus objek tersebut"),
    "external_link": ("Remove those links", "Hapus tautan tersebut"),
    "dde": ("Replace them by their values", "Ganti dengan nilainya"),
    "odf_script": ("Remove them, save the document", "Hapus makro atau skrip tersebut"),
    "damaged": ("Save it again", "Simpan ulang"),
}


def _kind(name: str, data: bytes) -> str:
    return detect_type(data[:8192], name, fileobj=io.BytesIO(data)).kind


def _check(tmp_path: Path, name: str, data: bytes, *, check=check_content) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    check(path, _kind(name, data))


def _check_here(tmp_path: Path, name: str, data: bytes) -> None:
    """The check in this process (what the child process runs), for the tests that patch
    one of its parts."""
    _check(tmp_path, name, data, check=content_module.check_here)


# --- The content check on its own -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_content_check_refuses_each_hostile_file_on_its_own(name, tmp_path):
    """The check holds without the sniffer: even what the sniffer refuses first (a
    vbaProject.bin by name, a Basic/ folder) is refused here too."""
    data, code = HOSTILE[name]
    with pytest.raises(UploadRefused) as refused:
        _check(tmp_path, name, data)
    assert refused.value.code == code, refused.value.message
    assert ACTIONS[code][0] in refused.value.message


@pytest.mark.parametrize("name", sorted(VALID))
def test_the_content_check_lets_each_valid_file_through(name, tmp_path):
    _check(tmp_path, name, VALID[name])


@pytest.mark.parametrize("encode", [_hex, _ascii85, _flate_png_up, _lzw])
def test_hand_written_object_streams_open_in_pikepdf_with_the_script_inside(encode):
    """The packed cases are well-formed (no repair needed) and the JavaScript really sits in
    the object stream, invisible in the file's bytes."""
    data = _packed_pdf(JS_NAME_TREE, encode)
    assert b"JavaScript" not in data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.get_warnings() == []
        assert Name.JavaScript == pdf.Root.Names.JavaScript.Names[1].S
        assert pdf.get_xref_table()[(1, 0)].type == 2  # the catalog is packed


def test_the_hidden_xfa_and_the_flawed_pdf_are_what_they_claim():
    with pikepdf.open(io.BytesIO(_xfa_behind_fake_stream())) as pdf:
        assert pdf.get_warnings() == [] and "/XFA" in pdf.Root.AcroForm
    with pikepdf.open(io.BytesIO(VALID["cacat-ringan.pdf"])) as pdf:
        assert pdf.get_warnings(), "the flawed PDF should make qpdf warn"


def test_an_object_stream_bomb_is_refused_quickly(tmp_path):
    """100 MB of Flate from 100 KB: qpdf stops decoding at its limit, and the objects packed
    in the stream are not let through unchecked."""
    script = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    bomb = _packed_pdf(b"/OpenAction 6 0 R", _flate_padded(100), packed=[6], extra=script)
    assert len(bomb) < 200 * 1024
    started = time.perf_counter()
    with pytest.raises(UploadRefused) as refused:
        _check(tmp_path, "bom.pdf", bomb)
    assert refused.value.code == "pdf_unchecked"
    assert time.perf_counter() - started < 5


def test_object_streams_together_may_not_exceed_the_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(content_module, "_OBJECT_STREAMS_LIMIT", 1024 * 1024)
    with pytest.raises(UploadRefused) as refused:
        _check_here(tmp_path, "padat.pdf", _packed_pdf(b"", _flate_padded(2), packed=[6]))
    assert refused.value.code == "pdf_unchecked"
    _check_here(tmp_path, "ringan.pdf", _packed_pdf(b"", _flate_padded(0), packed=[6]))


@pytest.mark.parametrize(
    ("name", "parser"), [("laporan.docx", "VBA_Parser"), ("perbup.pdf", "_walk_pdf")]
)
def test_a_parser_failure_is_a_refusal_as_damaged_not_a_server_error(
    name, parser, tmp_path, monkeypatch
):
    def fail(*args, **kwargs):
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(content_module, parser, fail)
    with pytest.raises(UploadRefused) as refused:
        _check_here(tmp_path, name, VALID[name])
    code = "pdf_damaged" if name.endswith(".pdf") else "damaged"
    assert refused.value.code == code


# --- Through the answer page, as the OPD user -----------------------------------------------

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES"
PENDING = LC_MESSAGES / "pending-uploads.po"


@pytest.fixture(scope="session")
def _catalogue_with_pending(tmp_path_factory):
    """The committed Indonesian catalogue with this work's pending fragment merged in; None
    once the fragment is merged into django.po and gone."""
    if not PENDING.exists():
        return None
    root = tmp_path_factory.mktemp("locale")
    target = root / "id" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = target / "django.po"
    subprocess.run(
        ["msgcat", "--use-first", "-o", str(merged), str(PENDING), str(LC_MESSAGES / "django.po")],
        check=True,
        timeout=60,
    )
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(target / "django.mo"), str(merged)],
        check=True,
        timeout=60,
    )
    return root


@pytest.fixture
def indonesian(_catalogue_with_pending, settings):
    if _catalogue_with_pending is not None:
        # Changing LOCALE_PATHS makes Django drop its cached catalogues (setting_changed).
        settings.LOCALE_PATHS = [_catalogue_with_pending, *settings.LOCALE_PATHS]


CORPUS = {name: (data, code) for name, (data, code) in HOSTILE.items()} | {
    name: (data, None) for name, data in VALID.items()
}


def _media_files() -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_answer_page_refuses_hostile_files_and_stores_valid_ones_intact(
    name, client_for, opd_user, question, lead_unit, indonesian
):
    data, code = CORPUS[name]
    client = client_for(opd_user)
    response = client.post(
        reverse("opd:evidence-upload", args=[question.pk, lead_unit.pk]),
        {"file": SimpleUploadedFile(name, data), "title": "Bukti"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    if code is not None:
        assert not Evidence.objects.exists() and not EvidenceRevision.objects.exists()
        assert _media_files() == []  # not even a temporary file
        assert "Berkas tidak disimpan:" in page
        assert escape(ACTIONS[code][1]) in page, f"{code}: the Indonesian message is missing"
        return
    revision = EvidenceRevision.objects.get()
    assert (revision.original_name, revision.size) == (name, len(data))
    assert _media_files() == [Path(settings.MEDIA_ROOT) / revision.file.name]
    download = client.get(reverse("opd:revision-download", args=[revision.pk]))
    assert b"".join(download.streaming_content) == data
    download.close()


def test_every_refusal_of_the_content_check_is_translated(indonesian, tmp_path):
    for name, (data, code) in HOSTILE.items():
        with translation.override("id"), pytest.raises(UploadRefused) as refused:
            _check(tmp_path, name, data)
        assert ACTIONS[code][1] in refused.value.message, name


# --- Files too complex to check, and filter chains ------------------------------------------


def _crowded_pdf(objects: int = 300_000) -> bytes:
    """A one-page PDF that also holds `objects` tiny arrays, packed in object streams: about
    2 MB that qpdf needs some 300 MB and two seconds to resolve (the 20 MB file of the
    benchmark holds three million)."""

    def build(pdf):
        pdf.Root.Crowd = Array([pdf.make_indirect(Array([n % 10])) for n in range(objects)])

    return _pdf(build, object_stream_mode=pikepdf.ObjectStreamMode.generate)


@pytest.fixture(scope="module")
def crowded_pdf() -> bytes:
    return _crowded_pdf()


def test_a_pdf_past_the_memory_limit_is_refused_as_too_complex_with_nothing_stored(
    crowded_pdf, settings, client_for, opd_user, question, lead_unit, indonesian
):
    settings.KLA_CONTENT_CHECK_MEMORY_MB = 128
    response = client_for(opd_user).post(
        reverse("opd:evidence-upload", args=[question.pk, lead_unit.pk]),
        {"file": SimpleUploadedFile("ratusan-ribu-objek.pdf", crowded_pdf), "title": "Bukti"},
        follow=True,
    )
    page = response.content.decode()
    assert "Berkas terlalu rumit untuk diperiksa; simpan ulang sebagai PDF biasa" in page
    assert not Evidence.objects.exists() and not EvidenceRevision.objects.exists()
    assert _media_files() == []
    # The limit, not a child that cannot start: an ordinary PDF passes under the same one.
    client_for(opd_user).post(
        reverse("opd:evidence-upload", args=[question.pk, lead_unit.pk]),
        {"file": SimpleUploadedFile("perbup.pdf", VALID["perbup.pdf"]), "title": "Bukti"},
    )
    assert EvidenceRevision.objects.get().original_name == "perbup.pdf"


def test_a_pdf_past_the_time_limit_is_refused_when_the_time_is_up(crowded_pdf, settings, tmp_path):
    settings.KLA_CONTENT_CHECK_MEMORY_MB = 4096
    settings.KLA_CONTENT_CHECK_SECONDS = 1
    path = tmp_path / "upload"
    path.write_bytes(crowded_pdf)
    started = time.perf_counter()
    outcome = isolation.run_isolated(path, "pdf")
    assert (outcome.code, outcome.ended) == ("too_complex", "timeout")
    assert time.perf_counter() - started < 1.5
    with pytest.raises(UploadRefused) as refused:
        check_content(path, "pdf")
    assert refused.value.code == "too_complex"
    assert "too complex to be checked" in refused.value.message


def test_the_check_runs_in_a_child_process_whose_memory_is_not_the_workers(crowded_pdf, tmp_path):
    """With the default limits the crowded file passes; the child, not this process, held
    the hundreds of MB qpdf needed."""
    path = tmp_path / "upload"
    path.write_bytes(crowded_pdf)
    outcome = isolation.run_isolated(path, "pdf")
    assert (outcome.code, outcome.ended) == (None, "verdict")
    assert outcome.peak_rss_bytes > 150 * 2**20


def _ascii85_over(encode):
    """ASCII85 over another encoding: the filter chain [/ASCII85Decode /<other>]."""

    def chained(data: bytes):
        inner, inner_filter = encode(data)
        name = inner_filter.split()[-1]
        return base64.a85encode(inner) + b"~>", b"/Filter [/ASCII85Decode " + name + b"]"

    return chained


def _flate(data: bytes):
    return zlib.compress(data), b"/Filter /FlateDecode"


def test_an_object_stream_with_a_chain_of_filters_is_checked_not_refused_as_damaged(tmp_path):
    """A filter array ([/ASCII85Decode /FlateDecode]) made the check raise TypeError, and a
    harmless PDF was refused as damaged."""
    harmless = _packed_pdf(b"", _ascii85_over(_flate))
    with pikepdf.open(io.BytesIO(harmless)) as pdf:
        assert pdf.get_warnings() == []
        stream = pdf.get_object(4, 0)
        assert list(stream.Filter) == [Name.ASCII85Decode, Name.FlateDecode]
    _check(tmp_path, "rantai-filter.pdf", harmless)
    # The objects behind the chain are still read: a script there is found.
    with pytest.raises(UploadRefused) as refused:
        _check(tmp_path, "rantai-js.pdf", _packed_pdf(JS_NAME_TREE, _ascii85_over(_flate)))
    assert refused.value.code == "pdf_script"
    # And LZW inside a chain is refused like LZW alone (qpdf has no memory limit for it).
    lzw_chain = _packed_pdf(b"", _ascii85_over(_lzw))
    with pikepdf.open(io.BytesIO(lzw_chain)) as pdf:
        assert Name.LZWDecode in list(pdf.get_object(4, 0).Filter)
    with pytest.raises(UploadRefused) as refused:
        _check(tmp_path, "rantai-lzw.pdf", lzw_chain)
    assert refused.value.code == "pdf_unchecked"


MAIN_SCRIPT = """
import os, sys
from pathlib import Path

with open(os.environ["KLA_MAIN_RUNS"], "a") as runs:
    runs.write(__name__ + "\\n")
if __name__ == "__main__":
    import django

    django.setup()
    from opd.uploads.isolation import read_isolated, run_isolated

    for _ in range(2):
        checked, read = run_isolated(Path(sys.argv[1]), "pdf"), read_isolated(Path(sys.argv[1]), "pdf")
        print(repr((checked.code, read["problem"])))
"""


def test_the_check_children_do_not_run_the_servers_main_script_again(tmp_path):
    """A child of the fork server ran the parent's main script again before each check (under
    gunicorn, importing gunicorn: 20 ms of CPU per check); it runs only in the parent now."""
    script, runs, path = tmp_path / "main.py", tmp_path / "runs", tmp_path / "upload"
    script.write_text(MAIN_SCRIPT)
    path.write_bytes(samples.pdf_bytes())
    env = {**os.environ, "KLA_MAIN_RUNS": str(runs), "DJANGO_SETTINGS_MODULE": "kla.settings_test"}
    out = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(script), str(path)],
        cwd=settings.BASE_DIR,
        env={**env, "PYTHONPATH": str(settings.BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.splitlines() == ["(None, '')"] * 2  # checked and read, twice
    assert runs.read_text().splitlines() == ["__main__"]
