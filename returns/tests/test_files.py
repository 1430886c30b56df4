"""Issue 13 item 2: hostile files are refused at a bound, within a memory and CPU-time budget.

Each hostile file is parsed in a child process under resource limits (RLIMIT_AS for memory,
RLIMIT_CPU for processor time): a parse that pads, copies or collects without bound is killed
or runs out of memory there, and the test fails. Before the bounds, the XLSX below took about
8 minutes of CPU and the CSV 48 s and 5.4 GB.
"""

from __future__ import annotations

import io
import json
import re
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from returns.parsing import TEMPLATE_COLUMNS, parse_upload
from returns.tests.test_parsing import BLABY, FORCE, HEADER, make_context, parse_text

ROOT = Path(__file__).resolve().parents[2]
MEMORY_BUDGET = 1024 * 1024 * 1024  # address space, bytes; importing pandas and openpyxl takes about 200 MB
CPU_BUDGET = 30  # seconds of CPU time, imports included

CHILD = """
import json, sys
from returns.parsing import parse_upload
from returns.tests.test_parsing import make_context
path = sys.argv[1]
raw = open(path, "rb").read()
result = parse_upload(raw, context=make_context(path.rsplit("/", 1)[-1]))
print(json.dumps([[p.row, p.column, p.message] for p in result.errors]))
"""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BUDGET, MEMORY_BUDGET))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_BUDGET, CPU_BUDGET))


def parse_in_budget(path: Path) -> list[list]:
    """The errors from parsing path in a child held to the memory and CPU budget."""
    env = {"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env=env,
        preexec_fn=_limits,  # noqa: PLW1509 - the child runs no threads before exec
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    return json.loads(child.stdout)


def _xlsx_with_sheet_xml(edit) -> bytes:
    """A template workbook (header and one valid row) whose first sheet's XML is passed through edit."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Return"
    ws.append(list(TEMPLATE_COLUMNS))
    ws.append(["all_crime", FORCE, "2014-04-01", "2014-06-30", 5, None, None, None, None])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            dst.writestr(info.filename, data)
    return out.getvalue()


def _declare_whole_sheet(xml: str, last_cell: str) -> str:
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
    row = re.match(r"[A-Z]+(\d+)", last_cell).group(1)
    cell = f'<row r="{row}"><c r="{last_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace("</sheetData>", cell + "</sheetData>")


def test_xlsx_declaring_whole_sheet_with_last_cell_refused_in_budget(tmp_path):
    path = tmp_path / "tiny.xlsx"
    path.write_bytes(_xlsx_with_sheet_xml(lambda xml: _declare_whole_sheet(xml, "XFD1048576")))
    assert path.stat().st_size < 10_000
    errors = parse_in_budget(path)
    assert errors == [
        [
            None,
            None,
            "tiny.xlsx: row 1048576 has 16,384 columns; the limit is 100 (the template has 9); "
            "delete the columns after the template's last column",
        ]
    ]


def test_xlsx_declaring_whole_sheet_is_not_padded(tmp_path):
    """One stray cell in column A of the last row: read as one bad row, not a million padded ones."""
    path = tmp_path / "stray.xlsx"
    path.write_bytes(_xlsx_with_sheet_xml(lambda xml: _declare_whole_sheet(xml, "A1048576")))
    errors = parse_in_budget(path)
    assert errors[0] == [1048576, "measure_code", "unknown measure code 'x'"]
    assert {e[0] for e in errors} == {1048576}


def test_csv_of_two_million_one_character_lines_refused_in_budget(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_bytes((HEADER + "\n" + "x\n" * 2_100_000).encode())
    assert path.stat().st_size < 5 * 1024 * 1024
    errors = parse_in_budget(path)
    assert errors == [
        [
            None,
            None,
            "lines.csv has more than 2,000,000 rows, the limit (blank rows count); delete the empty rows at "
            "the end, or split the return into smaller files",
        ]
    ]


def test_csv_of_bad_lines_under_the_row_bound_stops_at_the_problem_bound(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes((HEADER + "\n" + "x\n" * 1_900_000).encode())
    errors = parse_in_budget(path)
    assert len(errors) == 10_001
    assert errors[0][0] is None
    assert re.fullmatch(
        r"junk\.csv: reading stopped at row [\d,]+ after 10,000 problems, the limit; fix the problems listed "
        r"and upload the file again",
        errors[0][2],
    )


def test_csv_of_blank_lines_counts_them(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(
        (HEADER + "\n" + ",,,,,,,,\n" * 1_999_999 + f"all_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n").encode()
    )
    errors = parse_in_budget(path)
    assert errors == [
        [
            None,
            None,
            "blank.csv has more than 2,000,000 rows, the limit (blank rows count); delete the empty rows at "
            "the end, or split the return into smaller files",
        ]
    ]


def test_hundred_thousand_column_csv_refused_with_one_short_message():
    header = HEADER + "," + ",".join(f"x{i}" for i in range(100_000 - 9))
    result = parse_text(header + "\n" + f"all_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n")
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (
            None,
            None,
            "return.csv: row 1 has 100,000 columns; the limit is 100 (the template has 9); delete the columns "
            "after the template's last column",
        )
    ]


def test_row_bound_counts_blank_rows_and_names_the_file():
    rows = f"all_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n\n\n\n"
    result = parse_text(f"{HEADER}\n{rows}", max_rows=3)
    assert [p.message for p in result.errors] == [
        "return.csv has more than 3 rows, the limit (blank rows count); delete the empty rows at the end, "
        "or split the return into smaller files"
    ]


def test_row_bound_while_reading_xlsx():
    raw = _xlsx_with_sheet_xml(lambda xml: xml)
    result = parse_upload(raw, context=make_context("r.xlsx", max_rows=1))
    assert [p.message for p in result.errors] == [
        "r.xlsx (sheet 'Return') has more than 1 rows, the limit (blank rows count); delete the empty rows at "
        "the end, or split the return into smaller files"
    ]


def test_cell_bound_stops_reading():
    rows = "".join(
        f"{m},{a},2014-04-01,2014-06-30,1,,,,\n" for m in ("all_crime", "burglary_dwelling") for a in (FORCE, BLABY)
    )
    result = parse_text(f"{HEADER}\n{rows}", max_cells=30)
    assert [p.message for p in result.errors] == [
        "return.csv has more than 30 cells, the limit; delete unused rows and columns, or split the return "
        "into smaller files"
    ]


def test_xlsx_row_with_too_many_cells_refused_before_parsing(monkeypatch):
    wide = "".join(f'<c r="{openpyxl.utils.get_column_letter(i)}3"><v>1</v></c>' for i in range(1, 200))
    raw = _xlsx_with_sheet_xml(lambda xml: xml.replace("</sheetData>", f'<row r="3">{wide}</row></sheetData>'))

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not parse an over-wide row")

    from openpyxl.worksheet import _reader

    monkeypatch.setattr(_reader.WorkSheetParser, "parse", refuse)
    result = parse_upload(raw, context=make_context("wide.xlsx"))
    assert [p.message for p in result.errors] == [
        "wide.xlsx (sheet 'Return'): row 3 has more than 100 cells, the limit (the template has 9); delete the "
        "columns after the template's last column"
    ]


@pytest.mark.parametrize("blank_cells", [0, 50])
def test_styled_empty_cells_past_the_bound_are_not_columns(blank_cells):
    """Empty cells far to the right (formatting) are not counted as columns used."""
    empty = "".join(f'<c r="{openpyxl.utils.get_column_letter(i)}2" s="0"/>' for i in range(200, 200 + blank_cells))
    raw = _xlsx_with_sheet_xml(lambda xml: xml.replace("</row></sheetData>", f"{empty}</row></sheetData>"))
    result = parse_upload(raw, context=make_context("styled.xlsx"))
    assert result.ok, result.problems
    assert list(result.rows.value) == [5.0]


def test_bound_passed_just_after_the_problem_limit_is_still_reported():
    rows = "".join(f"nope{i},{FORCE},2014-04-01,2014-06-30,1,,,,\n" for i in range(4))
    result = parse_text(f"{HEADER}\n{rows}", max_problems=3, max_cells=40)
    assert [p.message for p in result.errors] == [
        "return.csv has more than 40 cells, the limit; delete unused rows and columns, or split the return into "
        "smaller files",
        *[f"unknown measure code 'nope{i}'" for i in range(3)],
    ]
