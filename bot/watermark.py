"""Per-recipient watermarks on PDF copies of confidential documents (art. 14(4)).

Every page gets one line at its foot and the same line faintly across its middle, so that
a copy passed on names its recipient. The pages are stamped with pypdf; the stamp itself is
drawn with reportlab in STSong-Light, a CID font that PDF readers provide for Simplified
Chinese, so unit and person names print as they are written and the file stays small.
"""

from __future__ import annotations

import io
import math
from functools import cache

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError
from pypdf.generic import RectangleObject
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
FOOT_SIZE = 8.0  # points; smaller when the line would not fit the page's width
ACROSS_SIZE = 26.0
MARGIN = 18.0


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
    stamps: dict[tuple[float, float], PageObject] = {}
    for page in writer.pages:
        page.transfer_rotation_to_content()  # so the stamp reads upright on turned pages
        box = RectangleObject(page.mediabox)
        size = (round(float(box.width), 2), round(float(box.height), 2))
        if size not in stamps:
            stamps[size] = PdfReader(io.BytesIO(_stamp_pdf(*size, text))).pages[0]
        move = Transformation().translate(float(box.left), float(box.bottom))
        page.merge_transformed_page(stamps[size], move)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
