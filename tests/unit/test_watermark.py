"""PDF watermarks: every page carries the text, which reads back out of the file."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from bot.watermark import WatermarkError, can_watermark, watermark_pdf
from tests.support.factories import PDF

STAMP = "测试单位 1 · 联系人 1 · 2026-11-25 10:00 UTC+0800 · trace code ABCD2345"


def make_pdf(*sizes: tuple[float, float], body: str = "Body of page {n}") -> bytes:
    """A real PDF with one page of each size, each saying which page it is."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, invariant=True)
    for number, size in enumerate(sizes or [(595, 842)], start=1):
        sheet.setPageSize(size)
        sheet.drawString(72, size[1] - 72, body.format(n=number))
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def page_texts(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_every_page_carries_the_stamp() -> None:
    original = make_pdf((595, 842), (842, 595), (300, 400))
    texts = page_texts(watermark_pdf(original, STAMP))
    assert len(texts) == 3
    for number, text in enumerate(texts, start=1):
        assert f"Body of page {number}" in text
        assert STAMP in text


def test_turned_pages_and_offset_boxes() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf((595, 842), (595, 842))))
    writer.pages[0].rotate(90)
    writer.pages[1].mediabox.lower_left = (50, 50)
    buffer = io.BytesIO()
    writer.write(buffer)
    for text in page_texts(watermark_pdf(buffer.getvalue(), STAMP)):
        assert STAMP in text


def test_a_long_stamp_still_fits_a_small_page() -> None:
    long_stamp = STAMP + " · " + "有色金属行业数字化转型推进中心" * 3
    assert long_stamp in page_texts(watermark_pdf(make_pdf((200, 200)), long_stamp))[0]


def test_unreadable_pdfs_are_recognised() -> None:
    assert can_watermark(make_pdf())
    for bad in (PDF, b"%PDF-1.7 garbage", b"not a pdf"):
        assert not can_watermark(bad)
        with pytest.raises(WatermarkError):
            watermark_pdf(bad, STAMP)


def test_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert not can_watermark(buffer.getvalue())
