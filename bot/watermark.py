"""Per-recipient watermarks on PDF copies of confidential documents (art. 14(4)).

Every page gets one line at its foot and the same line faintly across its middle, so that
a copy passed on names its recipient. The stamp is drawn with reportlab in STSong-Light, a
CID font that PDF readers provide for Simplified Chinese, so unit and person names print as
they are written and the file stays small. With pypdf it becomes a form XObject, one for each
page size, drawn after each page's own content; that content is only wrapped, never parsed
or rewritten, which is what keeps stamping cheap.
"""

from __future__ import annotations

import io
import math
from functools import cache
from itertools import count

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    RectangleObject,
    StreamObject,
)
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
FOOT_SIZE = 8.0  # points; smaller when the line would not fit the page's width
ACROSS_SIZE = 26.0
MARGIN = 18.0
FORM_NAME = "/Watermark"  # with a number added when a page already lists an XObject so named


class WatermarkError(Exception):
    """The PDF cannot be stamped: encrypted, damaged, or without pages."""


def can_watermark(content: bytes) -> bool:
    """Whether `content` is a PDF this module can stamp; checked when a file is uploaded."""
    try:
        reader = PdfReader(io.BytesIO(content))
        return not reader.is_encrypted and len(reader.pages) > 0
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return False


def watermark_pdf(content: bytes, text: str) -> bytes:
    """A copy of the PDF with `text` printed on every page."""
    try:
        writer = PdfWriter(clone_from=io.BytesIO(content))
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise WatermarkError(str(error)) from error
    if writer.is_encrypted or not writer.pages:
        raise WatermarkError("encrypted or empty PDF")
    forms: dict[tuple[float, float], IndirectObject] = {}
    listings: dict[tuple[int, int], tuple[DictionaryObject, IndirectObject, NameObject]] = {}
    draws: dict[bytes, IndirectObject] = {}
    # The page's content may leave the graphics state changed: q ... Q restores it for the stamp.
    save = _stream(writer, b"q\n")
    for page in writer.pages:
        turn = _rotation(page)
        left, bottom, right, top = _box(page)
        # A turned page is shown turned, so its stamp is made for the page as shown and drawn
        # turned back; /Rotate, the boxes and the annotations stay as they were.
        shown = (top - bottom, right - left) if turn in (90, 270) else (right - left, top - bottom)
        size = (round(shown[0], 2), round(shown[1], 2))
        if size not in forms:
            forms[size] = _form(writer, _stamp_pdf(*size, text))
        name = _list_form(writer, page, forms[size], listings)
        place = {
            0: (1, 0, 0, 1, left, bottom),
            90: (0, 1, -1, 0, right, bottom),
            180: (-1, 0, 0, -1, right, top),
            270: (0, -1, 1, 0, left, top),
        }[turn]
        draw = f"\nQ q {' '.join(map(_number, place))} cm {name} Do Q\n".encode()
        if draw not in draws:
            draws[draw] = _stream(writer, draw)
        page[NameObject("/Contents")] = ArrayObject([save, *_contents(writer, page), draws[draw]])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _rotation(page: PageObject) -> int:
    """The page's /Rotate, perhaps set on the page tree, as 0, 90, 180 or 270."""
    try:
        turn = int(float(page.get_inherited("/Rotate", 0)))
    except (TypeError, ValueError):
        return 0  # malformed: shown unturned
    return ((turn + 45) // 90 * 90) % 360  # rounded as pypdf rounds it


def _box(page: PageObject) -> tuple[float, float, float, float]:
    """The media box as left, bottom, right, top, whichever corners it names."""
    box = RectangleObject(page.mediabox)
    xs = sorted((float(box[0]), float(box[2])))
    ys = sorted((float(box[1]), float(box[3])))
    return xs[0], ys[0], xs[1], ys[1]


def _number(value: float) -> str:
    # PDF has no exponent notation, so never let Python pick it.
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


def _form(writer: PdfWriter, stamp: bytes) -> IndirectObject:
    """The one-page stamp PDF as a form XObject in `writer`."""
    page = PdfReader(io.BytesIO(stamp)).pages[0]
    form = page["/Contents"].clone(writer)  # its data stays encoded as reportlab wrote it
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = RectangleObject(page.mediabox)  # nothing shows outside the page
    form[NameObject("/Resources")] = page["/Resources"].clone(writer)
    return writer._add_object(form)


def _list_form(
    writer: PdfWriter,
    page: PageObject,
    form: IndirectObject,
    listings: dict[tuple[int, int], tuple[DictionaryObject, IndirectObject, NameObject]],
) -> NameObject:
    """Gives the page resources listing `form`; returns the name it is listed under."""
    # Pages share resources: pypdf gives each page the one dictionary they inherit from the
    # page tree, and files often list one indirect dictionary on many pages. So the form is
    # listed in a copy, made once for each dictionary and form and shared likewise.
    found = page.get_inherited("/Resources")
    if not isinstance(found, DictionaryObject):
        found = DictionaryObject()  # missing or malformed: the copy lists only the stamp
    key = (id(found), form.idnum)
    if key not in listings:
        listed = found.get("/XObject")
        listed = listed.get_object() if listed is not None else None
        xobjects = DictionaryObject(listed if isinstance(listed, DictionaryObject) else {})
        names = (NameObject(f"{FORM_NAME}{n or ''}") for n in count())
        name = next(name for name in names if name not in xobjects)
        xobjects[name] = form
        resources = DictionaryObject(found)
        resources[NameObject("/XObject")] = xobjects
        # `found` is kept so that its id cannot pass to a dictionary made later
        listings[key] = (found, writer._add_object(resources), name)
    _, page[NameObject("/Resources")], name = listings[key]
    return name


def _contents(writer: PdfWriter, page: PageObject) -> list[IndirectObject]:
    """References to the page's content streams, in order; none when it has no content."""
    found = page.get("/Contents")  # as stored, a reference unless the file is malformed
    value = found.get_object() if found is not None else None
    if isinstance(value, StreamObject):
        value = [found]
    elif not isinstance(value, ArrayObject):
        return []
    # The array must list streams by reference; one stored directly is made indirect.
    return [
        part if isinstance(part, IndirectObject) else writer._add_object(part) for part in value
    ]


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fitting(text: str, room: float, largest: float) -> float:
    natural = pdfmetrics.stringWidth(text, _font(), 1.0)
    return min(largest, room / natural) if natural else largest


def _stamp_pdf(width: float, height: float, text: str) -> bytes:
    """A one-page PDF of the page's size carrying the watermark."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(width, height), invariant=True)
    sheet.setFillGray(0.35)
    sheet.setFont(_font(), _fitting(text, width - 2 * MARGIN, FOOT_SIZE))
    sheet.drawString(MARGIN, MARGIN / 2, text)
    sheet.setFillGray(0.5, alpha=0.18)
    diagonal = math.hypot(width, height)
    sheet.setFont(_font(), _fitting(text, diagonal * 0.8, ACROSS_SIZE))
    sheet.translate(width / 2, height / 2)
    sheet.rotate(math.degrees(math.atan2(height, width)))
    sheet.drawCentredString(0, 0, text)
    sheet.save()
    return buffer.getvalue()
