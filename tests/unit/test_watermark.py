"""PDF watermarks: every page carries the text, which reads back out of the file."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Iterator

import pytest
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject, NumberObject
from reportlab.pdfgen import canvas

from bot.watermark import MARGIN, WatermarkError, can_watermark, watermark_pdf
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


def rewritten(content: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    """`content` after `change(writer)`, written out again."""
    writer = PdfWriter(clone_from=io.BytesIO(content))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


Matrix = tuple[float, float, float, float, float, float]


def _times(m: Matrix, n: Matrix) -> Matrix:
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


def stamp_lines(page: PageObject) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Where each run of the stamp starts on the page as a reader sees it (turned by its
    /Rotate, origin at the bottom left) and which way it runs, in drawing order."""
    box, turn = page.mediabox, page.rotation % 360
    shown_width, shown_height = (box.height, box.width) if turn % 180 else (box.width, box.height)
    shown = (
        Transformation()
        .translate(-float(box.left + box.width / 2), -float(box.bottom + box.height / 2))
        .rotate(-turn)  # /Rotate turns clockwise
        .translate(float(shown_width / 2), float(shown_height / 2))
        .ctm
    )
    outer: list[Matrix] = [(1, 0, 0, 1, 0, 0)]
    lines = []

    def before(operator: bytes, operands: list, cm: Matrix, tm: Matrix) -> None:
        if operator == b"Do":  # pypdf gives matrices inside a form relative to the form
            outer[0] = tuple(cm)

    def text(content: str, cm: Matrix, tm: Matrix, font: object, size: float) -> None:
        if content.startswith(STAMP[:4]):
            a, b, _, _, e, f = _times(_times(_times(tm, cm), outer[0]), shown)
            lines.append(((e, f), (a / math.hypot(a, b), b / math.hypot(a, b))))

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    return lines


def assert_upright(page: PageObject, shown_size: tuple[float, float]) -> None:
    """The foot line at the foot reading left to right, the faint one across the page."""
    (foot, along), (_, across) = stamp_lines(page)
    assert foot == pytest.approx((MARGIN, MARGIN / 2), abs=0.1)
    assert along == pytest.approx((1, 0), abs=1e-3)
    diagonal = math.hypot(*shown_size)
    assert across == pytest.approx((shown_size[0] / diagonal, shown_size[1] / diagonal), abs=1e-3)


@pytest.fixture(autouse=True)
def no_pypdf_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Files that pypdf complains about may not open cleanly elsewhere either."""
    with caplog.at_level(logging.WARNING, logger="pypdf"):
        yield
    logged = caplog.get_records("call")  # caplog.records would hold only the teardown's
    assert [r.getMessage() for r in logged if r.name.startswith("pypdf")] == []


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


def test_unreadable_pdfs_are_recognised(caplog: pytest.LogCaptureFixture) -> None:
    assert can_watermark(make_pdf())
    for bad in (PDF, b"%PDF-1.7 garbage", b"not a pdf"):
        assert not can_watermark(bad)
        with pytest.raises(WatermarkError):
            watermark_pdf(bad, STAMP)
    caplog.clear()  # pypdf's complaints about these files are expected


def test_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert not can_watermark(buffer.getvalue())


@pytest.mark.parametrize("turn", [0, 90, 180, 270, -90, 450])
def test_the_stamp_reads_upright_however_the_page_is_turned(turn: int) -> None:
    def turn_and_offset(writer: PdfWriter) -> None:
        writer.pages[0].rotate(turn)
        writer.pages[0].mediabox.lower_left = (50, 30)

    original = rewritten(make_pdf((595, 842)), turn_and_offset)
    page = PdfReader(io.BytesIO(watermark_pdf(original, STAMP))).pages[0]
    assert "Body of page 1" in page.extract_text()
    assert_upright(page, (545, 812) if turn % 180 == 0 else (812, 545))


def test_pages_taking_resources_and_turn_from_the_page_tree() -> None:
    def inherit(writer: PdfWriter) -> None:
        tree = writer.root_object["/Pages"]
        tree[NameObject("/Resources")] = writer.pages[0]["/Resources"]
        tree[NameObject("/Rotate")] = NumberObject(90)
        for page in writer.pages:
            del page["/Resources"], page["/Rotate"]

    original = rewritten(make_pdf((595, 842), (300, 400)), inherit)
    tree = PdfReader(io.BytesIO(original)).root_object["/Pages"]  # as stored: .pages fills in
    assert all("/Resources" not in page and "/Rotate" not in page for page in tree["/Kids"])
    stamped = PdfReader(io.BytesIO(watermark_pdf(original, STAMP)))
    for number, (page, shown) in enumerate(
        zip(stamped.pages, [(842, 595), (400, 300)], strict=True), 1
    ):
        assert f"Body of page {number}" in page.extract_text()
        assert_upright(page, shown)
    assert "/XObject" not in stamped.root_object["/Pages"]["/Resources"]  # left as it was


def test_pages_of_two_sizes_sharing_one_resources_dictionary() -> None:
    def share(writer: PdfWriter) -> None:
        shared = writer._add_object(writer.pages[0]["/Resources"])
        for page in writer.pages:
            page[NameObject("/Resources")] = shared

    original = rewritten(make_pdf((595, 842), (300, 400), (595, 842)), share)
    pages = PdfReader(io.BytesIO(watermark_pdf(original, STAMP))).pages
    for number, (page, size) in enumerate(
        zip(pages, [(595, 842), (300, 400), (595, 842)], strict=True), 1
    ):
        assert f"Body of page {number}" in page.extract_text()
        assert_upright(page, size)
    # each page lists only the form it draws, and pages of one size share theirs
    forms = [list(page["/Resources"]["/XObject"].values()) for page in pages]
    assert [len(listed) for listed in forms] == [1, 1, 1]
    assert forms[0] == forms[2] != forms[1]
    assert pages[0].raw_get("/Resources") == pages[2].raw_get("/Resources")


def test_content_in_several_streams_or_none() -> None:
    def split_and_add_blank(writer: PdfWriter) -> None:
        page = writer.pages[0]
        more = DecodedStreamObject()
        more.set_data(b"BT /F1 12 Tf 72 100 Td (More of page 1) Tj ET")
        listed = ArrayObject([page.raw_get("/Contents"), writer._add_object(more)])
        page[NameObject("/Contents")] = writer._add_object(listed)  # an array, by reference
        writer.add_blank_page(300, 400)

    original = rewritten(make_pdf((595, 842)), split_and_add_blank)
    stamped = PdfReader(io.BytesIO(watermark_pdf(original, STAMP))).pages
    assert "Body of page 1" in stamped[0].extract_text()
    assert "More of page 1" in stamped[0].extract_text()
    assert_upright(stamped[0], (595, 842))
    assert_upright(stamped[1], (300, 400))


def test_a_page_leaving_its_drawing_state_changed() -> None:
    def scale_at_the_end(writer: PdfWriter) -> None:
        page = writer.pages[0]
        scale = DecodedStreamObject()
        scale.set_data(b"0.5 0 0 0.5 100 100 cm")  # no q ... Q around it
        page[NameObject("/Contents")] = ArrayObject(
            [page.raw_get("/Contents"), writer._add_object(scale)]
        )

    original = rewritten(make_pdf((595, 842)), scale_at_the_end)
    assert_upright(PdfReader(io.BytesIO(watermark_pdf(original, STAMP))).pages[0], (595, 842))


def test_a_stamped_copy_can_be_stamped_again() -> None:
    """The second stamp's form is listed beside the first's, not over it."""
    twice = watermark_pdf(watermark_pdf(make_pdf((595, 842), (300, 400)), "first"), STAMP)
    for number, text in enumerate(page_texts(twice), start=1):
        assert f"Body of page {number}" in text
        assert text.count("first") == 2 and text.count(STAMP) == 2
