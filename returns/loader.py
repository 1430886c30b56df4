"""Bulk loading of a return's rows: observations by COPY (PostgreSQL) or executemany, and outcome counts."""

from collections.abc import Callable, Iterable

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


def observation_frame(rows: pd.DataFrame, return_id: int) -> pd.DataFrame:
    """Map codes to keys, ready for a bulk insert (columns in Observation field order).

    Input: rows with OBSERVATION_COLUMNS (numerator, denominator, respondents and comment may be
    absent). Output: source_return_id, measure_id, area_id, period_start, period_end, value
    (float), numerator, denominator, respondents, comment ("" when absent). Raises ValueError
    naming the first row whose measure or area code is not in the database.
    """
    measure_ids = _ids(Measure, rows["measure_code"].unique())
    area_ids = _ids(Area, rows["area_code"].unique())
    frame = pd.DataFrame(
        {
            "source_return_id": return_id,
            "measure_id": rows["measure_code"].map(measure_ids),
            "area_id": rows["area_code"].map(area_ids),
            "period_start": rows["period_start"],
            "period_end": rows["period_end"],
            "value": rows["value"].astype(float),
            "numerator": rows["numerator"] if "numerator" in rows else None,
            "denominator": rows["denominator"] if "denominator" in rows else None,
            "respondents": rows["respondents"] if "respondents" in rows else None,
            "comment": rows["comment"].fillna("") if "comment" in rows else "",
        }
    )
    missing = frame["measure_id"].isna() | frame["area_id"].isna()
    if missing.any():
        first = rows[missing].iloc[0]
        raise ValueError(f"unknown measure or area: {first['measure_code']} / {first['area_code']}")
    return frame


def _copy_text(values: pd.Series) -> pd.Series:
    """One column as COPY csv text: \\N for a missing value, numbers as Python writes them."""
    out = pd.Series("\\N", index=values.index, dtype=object)
    there = values.notna().to_numpy()
    if there.any():
        present = values[there].astype(float)
        if values.name == "respondents":
            # Whole numbers whatever the frame's dtype ("443.0" would not go into an integer column).
            out[there] = list(map(str, present.astype("int64").tolist()))
        else:
            # repr of a Python float: the shortest text that reads back as the same float.
            out[there] = list(map(repr, present.tolist()))
    return out


def _copy_chunks(frame: pd.DataFrame):
    """The frame as COPY csv text in chunks; each distinct date is formatted once."""
    dates = {d: d.isoformat() for name in ("period_start", "period_end") for d in frame[name].unique()}
    # Keys, like dates, are a handful of distinct values: each is written as text once.
    keys = {
        name: {key: str(int(key)) for key in frame[name].unique()}
        for name in ("source_return_id", "measure_id", "area_id")
    }
    for start in range(0, len(frame), COPY_CHUNK_ROWS):
        part = frame.iloc[start : start + COPY_CHUNK_ROWS]
        comment = part["comment"].astype(object).str.replace('"', '""', regex=False)
        line = (
            part["source_return_id"].map(keys["source_return_id"]).astype(object)
            + ","
            + part["measure_id"].map(keys["measure_id"]).astype(object)
            + ","
            + part["area_id"].map(keys["area_id"]).astype(object)
            + ","
            + part["period_start"].map(dates).astype(object)
            + ","
            + part["period_end"].map(dates).astype(object)
            + ","
            + _copy_text(part["value"])
            + ","
            + _copy_text(part["numerator"])
            + ","
            + _copy_text(part["denominator"])
            + ","
            + _copy_text(part["respondents"])
            + ',"'
            + comment
            + '"\n'
        )
        yield len(part), "".join(line.tolist()).encode("utf-8")


def observations_copy(frame: pd.DataFrame, progress: Callable[[int], None] | None = None) -> None:
    """Insert an observation_frame: PostgreSQL streams rows with COPY (the floor for bulk
    loading); elsewhere executemany. progress, when given, is called with each batch's row count.
    A failed constraint raises Django's IntegrityError on either database."""
    columns = list(frame.columns)
    if connection.vendor == "postgresql":
        # In the order of the unique index (source_return, measure, area, period_start,
        # period_end): every index entry then lands on the rightmost leaf instead of a random one.
        frame = frame.sort_values(["measure_id", "area_id", "period_start", "period_end"], kind="stable")
        # wrap_database_errors: a failed CHECK during COPY raises Django's IntegrityError, as any insert does.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            # FORCE_NOT_NULL: a comment that reads \N is text, not a NULL.
            cursor.copy_expert(
                f"COPY {Observation._meta.db_table} ({', '.join(columns)}) "
                "FROM STDIN WITH (FORMAT csv, NULL '\\N', FORCE_NOT_NULL (comment))",
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
