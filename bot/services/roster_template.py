"""The roster template the secretariat fills in for /import (shipped in templates/)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from stdnum.cn import uscc

from bot.services.roster_rows import COLUMNS

DIRECTORY = Path(__file__).resolve().parents[2] / "templates"
XLSX_NAME = "roster-template.xlsx"
CSV_NAME = "roster-template.csv"
EXAMPLES = (
    (
        "示例有色金属集团有限公司",
        "91150000000000001",
        "企业",
        "冶炼、加工",
        "内蒙古",
        "主任单位",
        "张三",
        "13800138000",
        "zhangsan@example.cn",
        "李四, 13900139000, lisi@example.cn; 王五, wangwu@example.cn",
        "赵六, zhaoliu@example.cn",
    ),
    (
        "示例矿业研究院",
        "12430000000000002",
        "科研院所",
        "采选",
        "湖南",
        "副主任单位",
        "钱七",
        "0731-12345678",
        "qianqi@example.cn",
        "孙八, 13700137000",
        "",
    ),
    (
        "示例数字科技有限公司",
        "91110000000000003",
        "服务商",
        "其他",
        "北京",
        "成员单位",
        "周九",
        "13600136000",
        "zhoujiu@example.cn",
        "",
        "",
    ),
)
WIDTHS = (30, 24, 12, 16, 10, 12, 10, 16, 24, 44, 30)
INSTRUCTIONS = (
    "填写说明 / How to fill in the roster",
    "每行一个成员单位；示例行请删除后再导入。One unit per row; delete the example rows first.",
    "统一社会信用代码：18位，校验位须正确。Credit code: 18 characters with a valid check digit.",
    "单位类型：企业、协会、高等院校、科研院所、服务商、其他。",
    "细分领域：采选、冶炼、加工、其他，可多选，用顿号或逗号分隔。",
    "成员级别：成员单位、副主任单位、主任单位（第十二条）；留空为成员单位。",
    "主任联席会人选：主任单位至多2人，副主任单位1人（第十九条）。",
    "格式：姓名, 电话, 邮箱; 姓名, 邮箱（电话、邮箱可省略）。",
    "专家委员会委员（第二十一条）：格式同上。Seat holders and experts: Name, phone, e-mail; ...",
    "再次导入同一文件不会重复创建；修改后的字段会被更新并在报告中列出。",
)


def example_rows() -> list[list[str]]:
    """The example rows, each credit code given its GB 32100 check digit."""
    rows = []
    for example in EXAMPLES:
        row = list(example)
        row[1] = row[1] + uscc.calc_check_digit(row[1])
        rows.append(row)
    return rows


def header() -> list[str]:
    return [names[0] for names in COLUMNS.values()]


def to_xlsx() -> bytes:
    from openpyxl import Workbook  # loaded when used: it costs 10 MB resident
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "成员名册 Roster"
    sheet.append(header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in example_rows():
        sheet.append(row)
    for column, width in zip(
        "ABCDEFGHIJK", (30, 24, 12, 16, 10, 12, 10, 16, 24, 44, 30), strict=True
    ):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明 Instructions")
    for line in INSTRUCTIONS:
        notes.append([line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv() -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header())
    writer.writerows(example_rows())
    return buffer.getvalue().encode("utf-8-sig")


def shipped(name: str) -> bytes:
    """The template file from the repository, as the bot hands it out."""
    return (DIRECTORY / name).read_bytes()
