"""Bulk loading of a return's rows: observations by COPY (PostgreSQL) or executemany, and outcome counts."""

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from django.db import connection

from pcc_dashboard.copystream import CopyStream
from priorities.models import Area, Measure, OutcomeType
from returns.models import Observation, OutcomeCount, Return
from returns.template import TEMPLATE_COLUMNS

OBSERVATION_COLUMNS = list(TEMPLATE_COLUMNS)  # an observation row holds what a return template holds
OBSERVATION_BATCH = 5000
COPY_CHUNK_ROWS = 50_000


def _ids(model, codes: Iterable[str], field: str = "code") -> dict[str, int]:
    return dict(model.objects.filter(**{f"{field}__in": set(codes)}).values_list(field, "id"))


def _floats(values: pd.Series) -> np.ndarray:
    """A number column as floats, NaN where missing (None, NaN or NA)."""
    return values.to_numpy(dtype=float, na_value=np.nan)


def _code_ids(model, codes: pd.Series) -> np.ndarray:
    """Each row's id for its code (looked up once per distinct code), NaN where the code is unknown."""
    positions, distinct = pd.factorize(codes, use_na_sentinel=False)
    ids = _ids(model, [code for code in distinct if isinstance(code, str)])
    return np.asarray([ids.get(code, np.nan) for code in distinct] + [np.nan], dtype=float)[:-1][positions]


def observation_frame(rows: pd.DataFrame, return_id: int) -> pd.DataFrame:
    """Map codes to keys, ready for a bulk insert (columns in Observation field order).

    Input: rows with OBSERVATION_COLUMNS (numerator, denominator, respondents and comment may be
    absent). Output: source_return_id, measure_id, area_id (int), period_start, period_end, value,
    numerator, denominator, respondents (float, NaN when absent), comment ("" when absent). Raises
    ValueError naming the first row whose measure or area code is not in the database.
    """
    measure_ids, area_ids = _code_ids(Measure, rows["measure_code"]), _code_ids(Area, rows["area_code"])
    missing = np.isnan(measure_ids) | np.isnan(area_ids)
    if missing.any():
        first = rows[missing].iloc[0]
        raise ValueError(f"unknown measure or area: {first['measure_code']} / {first['area_code']}")

    def floats(name: str) -> np.ndarray | float:
        return _floats(rows[name]) if name in rows else np.nan

    return pd.DataFrame(
        {
            "source_return_id": np.full(len(rows), return_id, dtype=np.int64),
            "measure_id": measure_ids.astype(np.int64),
            "area_id": area_ids.astype(np.int64),
            "period_start": rows["period_start"].to_numpy(),
            "period_end": rows["period_end"].to_numpy(),
            "value": _floats(rows["value"]),
            "numerator": floats("numerator"),
            "denominator": floats("denominator"),
            "respondents": floats("respondents"),
            "comment": rows["comment"].fillna("").to_numpy() if "comment" in rows else "",
        }
    )


def _coded(values: pd.Series, text: Callable[[object], str], *, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code into the column's distinct values (their rank when sort), and text(value) for
    each (once per value; \\N for a missing one)."""
    codes, uniques = pd.factorize(values, sort=sort, use_na_sentinel=False)
    texts = [text(u) if pd.notna(u) else "\\N" for u in uniques]
    return codes.astype(np.int64), np.asarray([*texts, ""], dtype=object)[:-1]


def _combined(columns: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Coded columns joined with tabs, as (codes, texts): each distinct combination is joined once."""
    code = np.zeros(len(columns[0][0]), dtype=np.int64)
    for codes, texts in columns:
        code = code * len(texts) + codes
    combo, distinct = pd.factorize(code)
    example = np.empty(len(distinct), dtype=np.int64)
    example[combo] = np.arange(len(combo))  # a row with each combination
    parts = [texts[codes[example]] for codes, texts in columns]
    return combo, np.asarray([*map("\t".join, zip(*parts, strict=True)), ""], dtype=object)[:-1]


def _number_text(numbers: np.ndarray, *, whole: bool = False) -> list[str]:
    """Numbers as COPY text: \\N where missing, else repr of the float (the shortest text that
    reads back as the same float), or the whole number when whole (443.0 must read as 443 into an
    integer column)."""
    there = ~np.isnan(numbers)
    present = numbers[there]
    texts = list(map(str, present.astype(np.int64).tolist())) if whole else list(map(repr, present.tolist()))
    if len(texts) == len(numbers):
        return texts
    out = np.full(len(numbers), "\\N", dtype=object)
    out[there] = texts
    return out.tolist()


def _escaped(text: str) -> str:
    """Text as a COPY text-format field: backslash, tab, line feed and carriage return escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _tail_text(frame: pd.DataFrame) -> np.ndarray:
    """Each row's numerator, denominator, respondents and comment as COPY text (most rows have none)."""
    numbers = [_floats(frame[name]) for name in ("numerator", "denominator", "respondents")]
    comment_codes, comments = _coded(frame["comment"].astype(object), _escaped, sort=False)
    commented = np.asarray([text != "" for text in comments] + [False])[:-1][comment_codes]
    some = np.flatnonzero(np.logical_or.reduce([~np.isnan(column) for column in numbers]) | commented)
    tail = np.full(len(frame), "\\N\t\\N\t\\N\t", dtype=object)
    if len(some):
        columns = [
            _number_text(column[some], whole=name == "respondents")
            for name, column in zip(("numerator", "denominator", "respondents"), numbers, strict=True)
        ]
        columns.append(comments[comment_codes[some]])
        tail[some] = list(map("\t".join, zip(*columns, strict=True)))
    return tail


def _copy_chunks(frame: pd.DataFrame):
    """The frame as COPY text (tab-separated, \\N for NULL) in chunks, in the order of the unique
    index (source_return, measure, area, period_start, period_end): every index entry then lands on
    the rightmost leaf instead of a random one. Keys and dates are a handful of distinct values,
    each written as text once."""
    key = [_coded(frame[name], lambda k: str(int(k))) for name in ("source_return_id", "measure_id", "area_id")]
    period = [_coded(frame[name], lambda d: d.isoformat()) for name in ("period_start", "period_end")]
    order = np.lexsort((period[1][0], period[0][0], key[2][0], key[1][0], key[0][0]))
    (key_codes, key_texts), (period_codes, period_texts) = _combined(key), _combined(period)
    tail = _tail_text(frame)
    values = _floats(frame["value"])
    for start in range(0, len(frame), COPY_CHUNK_ROWS):
        rows = order[start : start + COPY_CHUNK_ROWS]
        value = _number_text(values[rows])
        lines = zip(key_texts[key_codes[rows]], period_texts[period_codes[rows]], value, tail[rows], strict=True)
        yield len(rows), ("\n".join(map("\t".join, lines)) + "\n").encode("utf-8")


def observations_copy(frame: pd.DataFrame, progress: Callable[[int], None] | None = None) -> None:
    """Insert an observation_frame: PostgreSQL streams rows with COPY (the floor for bulk
    loading); elsewhere executemany. progress, when given, is called with each batch's row count.
    A failed constraint raises Django's IntegrityError on either database."""
    columns = list(frame.columns)
    if connection.vendor == "postgresql":
        # wrap_database_errors: a failed CHECK during COPY raises Django's IntegrityError, as any insert does.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            # Text format, PostgreSQL's own: a little cheaper for the server to read than csv.
            cursor.copy_expert(
                f"COPY {Observation._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)",
                CopyStream(_copy_chunks(frame), progress),
                1 << 20,  # read size
            )
        return
    # Elsewhere (SQLite): one parameterised INSERT run with executemany per batch. bulk_create
    # builds a model instance per row and was five times slower at 100,000 rows.
    ops = connection.ops
    prepared = frame.astype(object).where(frame.notna(), None)
    for name in ("period_start", "period_end"):
        # A return repeats a handful of dates: adapt each distinct one once.
        adapted = {d: ops.adapt_datefield_value(d) for d in prepared[name].unique()}
        prepared[name] = prepared[name].map(adapted)
    # Table and column names come from the model; every value is a bound parameter.
    sql = f"INSERT INTO {Observation._meta.db_table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # nosec B608
    records = list(prepared.itertuples(index=False, name=None))
    with connection.cursor() as cursor:
        for i in range(0, len(records), OBSERVATION_BATCH):
            batch = records[i : i + OBSERVATION_BATCH]
            cursor.executemany(sql, batch)
            if progress:
                progress(len(batch))


def outcomes_insert(ret: Return, outcomes: pd.DataFrame) -> None:
    """Insert a return's outcome counts. outcomes: columns area_code, month, crime_group, scheme,
    outcome_code, count; every area and (scheme, outcome_code) must already exist (KeyError otherwise)."""
    area_ids = _ids(Area, outcomes["area_code"].unique())
    types = {(t.scheme, t.code): t.pk for t in OutcomeType.objects.all()}
    OutcomeCount.objects.bulk_create(
        (
            OutcomeCount(
                source_return=ret,
                area_id=area_ids[row.area_code],
                month=row.month,
                crime_group=row.crime_group,
                outcome_id=types[(row.scheme, row.outcome_code)],
                count=int(row.count),
            )
            for row in outcomes.itertuples(index=False)
        ),
        batch_size=2000,
    )
