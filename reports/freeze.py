"""Freezing internals: set-based copy of observations, building and storing the results, digests.

The reference data, outcomes and narratives a freeze reads come from reports/freeze_reads.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import io
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connection, transaction

from pcc_dashboard.copystream import CopyStream
from priorities.models import Area, Measure
from reports.freeze_reads import freeze_inputs, narratives_payload, outcomes_payload
from reports.models import Snapshot, SnapshotObservation, SnapshotResult
from reports.payloads.inputs import FreezeInputs
from reports.payloads.measures import measure_payload_texts
from reports.payloads.values import json_text
from returns.models import Observation, Return, Submitter, SubmitterKind
from returns.template import TEMPLATE_COLUMNS

# A frozen observation: the template's figure columns (no free-text comment) and the return it came from.
OBSERVATION_COLUMNS = [c for c in TEMPLATE_COLUMNS if c != "comment"] + ["return_id"]
SORT_COLUMNS = ["measure_code", "area_code", "period_start", "period_end", "return_id"]
FLOAT_COLUMNS = ["value", "numerator", "denominator", "respondents"]
RESULT_BATCH = 500
# Rows per COPY chunk: a few megabytes, which the connection buffers, so PostgreSQL parses one
# chunk while the next is made instead of waiting for a chunk of hundreds of megabytes.
COPY_BATCH = 32

# One row per (measure, area, period): the submitter reporting on its own area first, then the
# force (it reports for every CSP area), then a CSP, then public data; then the latest decision.
_COPY_SQL = """
INSERT INTO {snapshot_obs} (snapshot_id, measure_code, area_code, period_start, period_end,
                            value, numerator, denominator, respondents, return_id)
SELECT %s, measure_code, area_code, period_start, period_end,
       value, numerator, denominator, respondents, return_id
FROM (
    SELECT m.code AS measure_code, a.code AS area_code, o.period_start, o.period_end,
           o.value, o.numerator, o.denominator, o.respondents, o.source_return_id AS return_id,
           ROW_NUMBER() OVER (
               PARTITION BY o.measure_id, o.area_id, o.period_start, o.period_end
               ORDER BY CASE WHEN s.area_id = o.area_id THEN 0
                             WHEN s.kind = %s THEN 1
                             WHEN s.kind = %s THEN 2
                             ELSE 3 END,
                        COALESCE(r.decided_at, r.uploaded_at) DESC, r.id DESC
           ) AS preference
    FROM {observation} o
    JOIN {ret} r ON r.id = o.source_return_id
    JOIN {submitter} s ON s.id = r.submitter_id
    JOIN {measure} m ON m.id = o.measure_id
    JOIN {area} a ON a.id = o.area_id
    WHERE r.is_current = %s AND r.status = 'accepted' AND o.period_end <= %s
) ranked
WHERE preference = 1
"""

_READ_SQL = """
SELECT measure_code, area_code, CAST(period_start AS TEXT), CAST(period_end AS TEXT),
       value, numerator, denominator, respondents, return_id
FROM {snapshot_obs} WHERE snapshot_id = %s
"""
# PostgreSQL: the same rows as CSV, dates written as ISO text whatever the session's DateStyle.
_READ_COPY = """
COPY (SELECT measure_code, area_code, to_char(period_start, 'YYYY-MM-DD'), to_char(period_end, 'YYYY-MM-DD'),
             value, numerator, denominator, respondents, return_id
      FROM {snapshot_obs} WHERE snapshot_id = {snapshot_id}) TO STDOUT WITH (FORMAT csv)
"""


def _tables() -> dict[str, str]:
    return {
        "snapshot_obs": SnapshotObservation._meta.db_table,
        "observation": Observation._meta.db_table,
        "ret": Return._meta.db_table,
        "submitter": Submitter._meta.db_table,
        "measure": Measure._meta.db_table,
        "area": Area._meta.db_table,
    }


_MONTH_LOCK = 7411


@contextmanager
def one_consistent_state(as_of: dt.date):
    """A transaction in which every table a freeze reads shows one state.

    PostgreSQL: REPEATABLE READ, so the observations, narratives, outcomes, audits, annotations
    and populations all come from the same committed state, whatever acceptance commits meanwhile.
    A session advisory lock, taken before the transaction's snapshot, serialises freezes of the
    same month, so the second sees the first's Snapshot row. Inside a caller's transaction (tests)
    the caller's isolation applies and a transaction-level lock is used instead.
    SQLite: every transaction starts with BEGIN IMMEDIATE (settings: transaction_mode), so no
    other writer commits while the freeze runs.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_MONTH_LOCK, as_of.toordinal()])
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_MONTH_LOCK, as_of.toordinal()])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_MONTH_LOCK, as_of.toordinal()])


def reserve_snapshot_id() -> int:
    """The id the new Snapshot row will take. Its children are written first (the foreign keys
    are deferred to commit), because the Snapshot row cannot be updated once written."""
    table = Snapshot._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        else:
            # The table name comes from the model, never from input.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # nosec B608
        return int(cursor.fetchone()[0])


def observations_copy(*, snapshot_id: int, as_of: dt.date) -> int:
    """One INSERT … SELECT of every current accepted observation to as_of, duplicates resolved."""
    with connection.cursor() as cursor:
        cursor.execute(
            _COPY_SQL.format(**_tables()),
            [snapshot_id, SubmitterKind.FORCE, SubmitterKind.CSP, True, as_of],
        )
        return cursor.rowcount


def _fetched_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=OBSERVATION_COLUMNS)
    for column in ("period_start", "period_end"):
        frame[column] = frame[column].astype(str).str.slice(0, 10)
    return frame


def observations_frame(snapshot_id: int) -> pd.DataFrame:
    """A snapshot's stored observations (dates as ISO strings), in canonical order.

    PostgreSQL sends them as one CSV COPY read by pandas (floats parsed exactly from PostgreSQL's
    shortest round-trip text), not a million row tuples; SQLite fetches the rows.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The snapshot id is an integer and the table name comes from the model, never from input.
            copy = _READ_COPY.format(snapshot_obs=_tables()["snapshot_obs"], snapshot_id=int(snapshot_id))
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(copy, buffer)
            buffer.seek(0)
            frame = pd.read_csv(
                buffer,
                header=None,
                names=OBSERVATION_COLUMNS,
                dtype={**{c: str for c in OBSERVATION_COLUMNS[:4]}, **dict.fromkeys(FLOAT_COLUMNS, float)},
                keep_default_na=False,
                na_values={c: [""] for c in FLOAT_COLUMNS},
            )
            if frame.empty:  # the same columns as an empty fetch gives
                frame = _fetched_frame([])
        else:
            cursor.execute(_READ_SQL.format(**_tables()), [snapshot_id])
            frame = _fetched_frame(cursor.fetchall())
    for column in FLOAT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["return_id"] = frame["return_id"].astype("int64")
    return frame.sort_values(SORT_COLUMNS, kind="stable").reset_index(drop=True)


def canonical_json(payload) -> str:
    """The one JSON text of a payload (sorted keys, no spaces, UTF-8 kept): what is stored and hashed."""
    return json_text(payload)


def _number_texts(series: pd.Series) -> list[str]:
    """repr of each float ("" for NaN), made once per distinct value (value by value when the
    column holds -0.0, which is equal to 0.0 but written differently)."""
    values = series.to_numpy(dtype=float)
    if bool((np.signbit(values) & (values == 0)).any()):
        return [repr(v) if v == v else "" for v in values.tolist()]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([*(repr(v) for v in uniques.tolist()), ""], dtype=object)
    return table[codes].tolist()  # code -1 (NaN) takes the last entry, ""


class Results:
    """results_build's answer: every payload of a snapshot as (key, measure_code, canonical JSON
    text), in key order, the series ones made as they are read (one pass only).

    Each text read is also added to `digest` when there is one. len() is the number read so far:
    every payload once results_store has written them. Raises ValueError if two payloads share a
    key or come out of order (the digest would not be the one stored_digest recomputes).
    """

    def __init__(self, keyed: dict[str, tuple[str, object]], series, digest: ContentDigest | None = None):
        self.keyed, self.series, self.digest, self.count = keyed, series, digest, 0

    def __iter__(self):
        ordered = ((key, code, canonical_json(payload)) for key, (code, payload) in sorted(self.keyed.items()))
        last = None
        for key, code, text in heapq.merge(ordered, self.series, key=lambda item: item[0]):
            if last is not None and key <= last:
                raise ValueError(f"payload {key!r} comes after {last!r}: payloads are read in key order, once each")
            last = key
            if self.digest is not None:
                self.digest.result(key, text)
            self.count += 1
            yield key, code, text
        self.keyed, self.series = {}, iter(())

    def __len__(self) -> int:
        return self.count


def snapshot_metadata(*, as_of: dt.date, frozen_at: dt.datetime, frozen_by_id, frozen_by_name: str, count: int) -> dict:
    """The Snapshot row's own fields, as the digest covers them (who froze it and when)."""
    return {
        "as_of": as_of.isoformat(),
        "frozen_at": frozen_at.astimezone(dt.UTC).isoformat(),
        "frozen_by_id": frozen_by_id,
        "frozen_by_name": frozen_by_name,
        "observation_count": count,
    }


_DIGEST_ROWS = 100_000  # observation lines hashed a slice at a time (the same bytes as all at once)


class ContentDigest:
    """content_digest fed as a freeze makes the snapshot: the metadata and observations when
    created, then each result's key and canonical JSON in key order (result), then hexdigest()."""

    def __init__(self, observations: pd.DataFrame, *, metadata: dict | None = None, in_order: bool = False):
        """in_order=True: the observations are in canonical order already (observations_frame's)."""
        self._hash = hashlib.sha256()
        if metadata is not None:
            self._hash.update(f"--snapshot--\n{canonical_json(metadata)}\n".encode())
        frame = observations if in_order else observations.sort_values(SORT_COLUMNS, kind="stable")
        for start in range(0, len(frame), _DIGEST_ROWS):
            self._observation_lines(frame.iloc[start : start + _DIGEST_ROWS])
        self._hash.update(b"--results--\n")

    def _observation_lines(self, frame: pd.DataFrame) -> None:
        parts = [
            frame[column].astype(str).tolist() for column in ("measure_code", "area_code", "period_start", "period_end")
        ]
        parts += [_number_texts(frame[column]) for column in FLOAT_COLUMNS]
        parts.append([str(v) for v in frame["return_id"].tolist()])
        self._hash.update(("\n".join(map("|".join, zip(*parts))) + "\n").encode())

    def result(self, key: str, text: str) -> None:
        """Add one result: its key and its canonical JSON text (the caller keeps to key order)."""
        self._hash.update(f"{key}\t{text}\n".encode())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def content_digest(
    observations: pd.DataFrame,
    results: list[tuple[str, object]],
    *,
    texts: dict[str, str] | None = None,
    metadata: dict | None = None,
) -> str:
    """SHA-256 of the snapshot's metadata (canonical JSON), sorted observation lines, then each
    result as key TAB canonical JSON, by key. The results hold every payload (narratives, outcomes
    and audits, annotations inside measure payloads, the frozen reference data and populations).

    `texts` (key → canonical JSON, where the caller has them already) saves serialising twice.
    metadata=None gives the digest of snapshots frozen before the metadata was covered.
    """
    digest = ContentDigest(observations, metadata=metadata)
    texts = texts or {}
    for key, payload in sorted(results, key=lambda item: item[0]):
        text = texts.get(key)
        digest.result(key, canonical_json(payload) if text is None else text)
    return digest.hexdigest()


def reference_payload(inputs: FreezeInputs) -> dict:
    """`reference`: what a frozen snapshot computes later answers from: the peer
    group and its dated members with names, the focus area, every population estimate and the
    settings the statistics used, as they stood at the freeze."""
    return {
        "peer_group": inputs.peer_group,
        "focus_area": inputs.focus_area,
        "peer_members": [
            {
                "area_code": m["area_code"],
                "name": inputs.areas.get(m["area_code"], {}).get("name", m["area_code"]),
                "valid_from": m["valid_from"].isoformat(),
                "valid_to": m["valid_to"].isoformat() if m["valid_to"] else None,
            }
            for m in sorted(inputs.peer_members, key=lambda m: (m["area_code"], m["valid_from"]))
        ],
        "populations": sorted(
            [str(a), int(y), int(p)]
            for a, y, p in inputs.populations[["area_code", "mid_year", "population"]].itertuples(index=False)
        ),
        "settings": inputs.settings,
    }


def results_build(*, as_of: dt.date, observations: pd.DataFrame, digest: ContentDigest | None = None) -> Results:
    """Every payload of PAYLOADS.md, keyed, each with the measure code it belongs to ("" if none).

    Builds every payload but the series ones now, and returns them with the series still to make
    (Results: read once, in key order, by results_store). Each payload is serialised once, to its
    canonical JSON text: what results_store writes and what `digest` hashes. A reader loads back
    exactly the value the text encodes (tuples as lists, keys as strings), so the digest
    recomputed from the stored rows is the same text.
    """
    inputs = freeze_inputs(as_of=as_of, observations=observations)
    keyed, overview, series = measure_payload_texts(inputs)
    keyed["overview"] = ("", overview)
    keyed["reference"] = ("", reference_payload(inputs))
    keyed["outcomes"] = ("", outcomes_payload(as_of))
    keyed["narratives"] = ("", narratives_payload(as_of))
    return Results(keyed, series, digest)


# COPY's text format: a backslash starts an escape, and tab/newline end a field/row. Canonical
# JSON escapes control characters inside strings, so only the backslash needs doubling.
_COPY_RESULTS = "COPY {table} (snapshot_id, key, measure_code, payload) FROM STDIN"


def _copy_field(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_json(text: str) -> str:
    """Canonical JSON has no raw tab, newline or carriage return (json escapes them): only backslashes."""
    return text.replace("\\", "\\\\")


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def results_store(*, snapshot_id: int, results: Results) -> None:
    """Write each payload's canonical JSON text as it is (no second serialisation by the ORM), in
    key order, as Results makes them: a batch of rows at a time, so at national scale (hundreds of
    megabytes of text) only one measure's series and one batch are held at once.

    PostgreSQL: one COPY into the jsonb column (the server parses one batch while the next is
    made); SQLite: the JSON text in the text column, which is what the JSONField would have stored.
    """
    table = SnapshotResult._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lines = (
                f"{snapshot_id}\t{_copy_field(key)}\t{_copy_field(code)}\t{_copy_json(text)}\n"
                for key, code, text in results
            )
            chunks = ((0, "".join(batch).encode()) for batch in _batches(lines, COPY_BATCH))
            cursor.cursor.copy_expert(_COPY_RESULTS.format(table=table), CopyStream(chunks), size=1 << 22)
        else:
            for batch in _batches(results, RESULT_BATCH):
                cursor.executemany(
                    # The table name comes from the model, never from input.
                    f"INSERT INTO {table} (snapshot_id, key, measure_code, payload) VALUES (%s, %s, %s, %s)",  # nosec B608
                    [(snapshot_id, key, code, text) for key, code, text in batch],
                )


def stored_digest(snapshot: Snapshot) -> tuple[str, int]:
    """Recompute a snapshot's digest and observation count from its stored rows and its own fields.

    A snapshot frozen before the digest covered its fields (no `reference` result) is checked
    against the older digest, which matches only a snapshot actually frozen that way.
    """
    observations = observations_frame(snapshot.pk)
    results = list(
        SnapshotResult.objects.filter(snapshot=snapshot).values_list("key", "payload").iterator(chunk_size=500)
    )
    metadata = snapshot_metadata(
        as_of=snapshot.as_of,
        frozen_at=snapshot.frozen_at,
        frozen_by_id=snapshot.frozen_by_id,
        frozen_by_name=snapshot.frozen_by_name,
        count=snapshot.observation_count,
    )
    digest = content_digest(observations, results, metadata=metadata)
    if digest != snapshot.digest and not any(key == "reference" for key, _ in results):
        digest = content_digest(observations, results)
    return digest, len(observations)
