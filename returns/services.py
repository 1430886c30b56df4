"""Writes for returns: submitters and data sets, versioned submission, acceptance, rejection, audit."""

import csv
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pcc_dashboard.copystream import CopyStream
from pcc_dashboard.private_files import private_dir, private_file
from priorities.models import Area, AreaKind, Measure, OutcomeType
from priorities.office import focus_force_code
from priorities.services import ChangeCount, upsert
from returns.models import (
    AuditEvent,
    DataSetItem,
    Narrative,
    Observation,
    OutcomeAudit,
    OutcomeCount,
    PeriodKind,
    Return,
    ReturnPeriod,
    ReturnStatus,
    Submitter,
    SubmitterKind,
)
from returns.parsing import Problem, parse_upload
from returns.periods import due_date, financial_quarter, month_bounds
from returns.selectors import upload_context
from returns.template import TEMPLATE_COLUMNS

PUBLIC_SUBMITTER = "public-data"
OBSERVATION_COLUMNS = list(TEMPLATE_COLUMNS)  # an observation row holds what a return template holds
OBSERVATION_BATCH = 5000


class ReturnConflict(Exception):
    """Someone else changed this return first; the user should review and try again."""


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")


def force_submitter_name(force_area: Area) -> str:
    """The force's own name (reference/police_uk_forces.csv, e.g. "Durham Constabulary"), else
    the area's name and "Police"."""
    path = Path(settings.BASE_DIR) / "fixtures" / "reference" / "police_uk_forces.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        names = {row["area_code"]: row["police_uk_name"].strip() for row in csv.DictReader(handle)}
    return names.get(force_area.code) or f"{force_area.name} Police"


def force_submitter() -> Submitter | None:
    """The submitter for the office's force (there is one once the plan and reference data are loaded)."""
    return Submitter.objects.filter(kind=SubmitterKind.FORCE).first()


@transaction.atomic
def data_sets_derive() -> ChangeCount:
    """Derive the submitters and their agreed data sets from the plan and reference data.

    Submitters come from the office in the plan (priorities.office): the force it covers (its
    name as data.police.uk gives it, e.g. "… Police" or "… Constabulary"), one per CSP area of
    the force, and public data. Each measure's `reported_by` list in the plan file says who
    reports it, for which areas (force, csp_areas, own, all_forces) and how often. Data set lines
    no longer in the plan are removed. Safe to run in any order and any number of times: before
    the reference data and the office are loaded it does nothing; before the measures are loaded
    it makes the submitters with empty data sets. Output: a ChangeCount of what it created,
    updated, removed.
    """
    count = ChangeCount()
    force_area = Area.objects.filter(code=focus_force_code() or "", kind=AreaKind.FORCE).first()
    if force_area is None:
        return count
    csp_areas = list(Area.objects.filter(kind=AreaKind.CSP, parent=force_area).order_by("name"))
    force_name = force_submitter_name(force_area)
    force = upsert(
        Submitter,
        lookup={"kind": SubmitterKind.FORCE},
        values={"code": _slug(force_name), "name": force_name, "area": force_area},
        count=count,
        label="force submitter",
    )
    csps = [
        upsert(
            Submitter,
            lookup={"code": f"csp-{_slug(area.name)}"},
            values={"name": f"{area.name} Community Safety Partnership", "kind": SubmitterKind.CSP, "area": area},
            count=count,
            label=f"CSP submitter {area.name}",
        )
        for area in csp_areas
    ]
    Submitter.objects.filter(kind=SubmitterKind.CSP).exclude(pk__in=[s.pk for s in csps]).filter(
        returns__isnull=True, members__isnull=True
    ).delete()
    public = upsert(
        Submitter,
        lookup={"code": PUBLIC_SUBMITTER},
        values={"name": "Public data (Home Office and data.police.uk)", "kind": SubmitterKind.PUBLIC, "area": None},
        count=count,
        label="public submitter",
    )
    reporters = {"force": [force], "csp": csps, "public": [public]}
    all_forces = list(Area.objects.filter(kind=AreaKind.FORCE).order_by("name"))
    wanted: set[tuple[int, int, int, str]] = set()
    for measure in Measure.objects.order_by("order", "code"):
        for entry in measure.reported_by or []:
            for submitter in reporters.get(entry.get("submitter"), []):
                scopes = {
                    "force": [force_area],
                    "csp_areas": csp_areas,
                    "own": [submitter.area] if submitter.area else [],
                    "all_forces": all_forces,
                }
                for scope in entry.get("areas") or ["own"]:
                    for area in scopes.get(scope, []):
                        wanted.add((submitter.pk, measure.pk, area.pk, entry.get("frequency") or measure.frequency))
    existing = {
        (item.submitter_id, item.measure_id, item.area_id, item.frequency): item.pk
        for item in DataSetItem.objects.all()
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        DataSetItem.objects.filter(pk__in=stale).delete()
        count.updated += len(stale)
        count.details.append(f"removed {len(stale)} data set lines no longer in the plan")
    new = sorted(wanted - existing.keys())
    DataSetItem.objects.bulk_create(
        DataSetItem(submitter_id=s, measure_id=m, area_id=a, frequency=f) for s, m, a, f in new
    )
    if new:
        count.created += len(new)
        count.details.append(f"created {len(new)} data set lines")
    count.unchanged += len(wanted) - len(new)
    return count


def period_for(*, start: date, end: date) -> ReturnPeriod:
    """The return period with these dates, created with its due date if new."""
    if (start, end) == month_bounds(start):
        kind = PeriodKind.MONTH
    elif (start, end) == financial_quarter(start):
        kind = PeriodKind.QUARTER
    else:
        raise ValueError(f"{start} to {end} is neither a calendar month nor a financial quarter")
    period, _ = ReturnPeriod.objects.get_or_create(
        start=start,
        end=end,
        defaults={"kind": kind, "due_date": due_date(end, settings.RETURN_DUE_WORKING_DAYS)},
    )
    return period


def audit_record(
    *, action: str, summary: str, user=None, submitter=None, source_return=None, details=None
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        summary=summary[:500],
        user=user if getattr(user, "is_authenticated", False) else None,
        submitter=submitter,
        source_return=source_return,
        details=details or {},
    )


def _store_file(raw: bytes, name: str) -> None:
    """Keep the original file under a generated name, outside anything served (ASVS 5.3.2)."""
    directory = private_dir(Path(settings.RETURN_FILES_DIR))
    private_file(directory / name, raw)  # owner-only


_STORED_NAME_RE = re.compile(r"[0-9a-f]{32}\.bin")


def return_files_orphans_remove(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete stored originals that no return names, last written more than older_than ago.

    Such a file is left only when a process is killed between writing it and committing its
    return (return_submit). The age keeps the file of an upload still in its transaction.
    Returns the names deleted. Only files named as return_submit names them are considered.
    """
    directory = Path(settings.RETURN_FILES_DIR)
    if not directory.is_dir():
        return []
    cutoff = time.time() - older_than.total_seconds()
    candidates = [p for p in directory.iterdir() if _STORED_NAME_RE.fullmatch(p.name) and p.stat().st_mtime <= cutoff]
    named = set(
        Return.objects.filter(stored_name__in=[p.name for p in candidates]).values_list("stored_name", flat=True)
    )
    removed = []
    for path in candidates:
        if path.name not in named:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return sorted(removed)


def _ids(model, codes: Iterable[str], field: str = "code") -> dict[str, int]:
    return dict(model.objects.filter(**{f"{field}__in": set(codes)}).values_list(field, "id"))


def _observation_frame(rows: pd.DataFrame, return_id: int) -> pd.DataFrame:
    """Map codes to keys, ready for a bulk insert (columns in Observation field order)."""
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


COPY_CHUNK_ROWS = 50_000


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


def _copy_observations(frame: pd.DataFrame, progress: Callable[[int], None] | None = None) -> None:
    """PostgreSQL: stream rows with COPY (the floor for bulk loading); elsewhere executemany."""
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


def return_submit(
    *,
    submitter: Submitter,
    period: ReturnPeriod,
    rows: pd.DataFrame,
    raw: bytes,
    original_name: str,
    user=None,
    source: str = "upload",
    narrative: dict[int, str] | None = None,
    outcomes: pd.DataFrame | None = None,
    warnings: list | None = None,
    summary: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> Return:
    """Store a validated return as version N+1, all or nothing (one transaction, bulk inserts).

    The original file is written last, inside the transaction, so a process killed while the
    rows go in leaves neither record nor file; one killed in the moment between writing the file
    and the commit leaves a file no record names, which return_files_orphans_remove deletes.
    """
    stored_name = f"{uuid.uuid4().hex}.bin"
    try:
        with transaction.atomic():
            # The row lock serialises concurrent submissions so versions stay dense.
            Submitter.objects.select_for_update().get(pk=submitter.pk)
            latest = (
                Return.objects.filter(submitter=submitter, period=period)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            ret = Return.objects.create(
                submitter=submitter,
                period=period,
                version=(latest or 0) + 1,
                status=ReturnStatus.SUBMITTED,
                source=source,
                original_name=original_name[:255],
                stored_name=stored_name,
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                row_count=len(rows),
                warnings=warnings or [],
                summary=summary or {},
                uploaded_by=user if getattr(user, "is_authenticated", False) else None,
                uploaded_at=timezone.now(),
            )
            if len(rows):
                _copy_observations(_observation_frame(rows, ret.pk), progress)
            if narrative:
                Narrative.objects.bulk_create(
                    Narrative(source_return=ret, priority_number=number, text=text)
                    for number, text in sorted(narrative.items())
                    if text and text.strip()
                )
            if outcomes is not None and len(outcomes):
                _outcomes_insert(ret, outcomes)
            audit_record(
                action="upload" if source == "upload" else source,
                summary=f"{submitter.name} {period}: version {ret.version} with {len(rows):,} rows from {original_name}",
                user=user,
                submitter=submitter,
                source_return=ret,
                details={"sha256": ret.sha256, "rows": len(rows), "warnings": len(warnings or [])},
            )
            _store_file(raw, stored_name)
    except BaseException:
        (Path(settings.RETURN_FILES_DIR) / stored_name).unlink(missing_ok=True)
        raise
    return ret


def _outcomes_insert(ret: Return, outcomes: pd.DataFrame) -> None:
    """outcomes: columns area_code, month, crime_group, scheme, outcome_code, count."""
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


@transaction.atomic
def return_accept(*, ret: Return, user=None, reason: str = "") -> Return:
    """Accept a submitted version: it becomes current and supersedes the earlier current one."""
    Submitter.objects.select_for_update().get(pk=ret.submitter_id)
    ret = Return.objects.get(pk=ret.pk)
    if ret.status != ReturnStatus.SUBMITTED:
        raise ReturnConflict(f"version {ret.version} is already {ret.get_status_display().lower()}")
    now = timezone.now()
    Return.objects.filter(submitter_id=ret.submitter_id, period_id=ret.period_id, is_current=True).update(
        is_current=False, status=ReturnStatus.SUPERSEDED
    )
    Return.objects.filter(pk=ret.pk).update(
        status=ReturnStatus.ACCEPTED,
        is_current=True,
        decided_by=user if getattr(user, "is_authenticated", False) else None,
        decided_at=now,
        decision_reason=reason,
    )
    ret.refresh_from_db()
    audit_record(
        action="accept",
        summary=f"Accepted {ret.submitter.name} {ret.period} version {ret.version}",
        user=user,
        submitter=ret.submitter,
        source_return=ret,
        details={"reason": reason},
    )
    return ret


@transaction.atomic
def return_reject(*, ret: Return, user=None, reason: str) -> Return:
    Submitter.objects.select_for_update().get(pk=ret.submitter_id)
    ret = Return.objects.get(pk=ret.pk)
    if ret.status != ReturnStatus.SUBMITTED:
        raise ReturnConflict(f"version {ret.version} is already {ret.get_status_display().lower()}")
    Return.objects.filter(pk=ret.pk).update(
        status=ReturnStatus.REJECTED,
        decided_by=user if getattr(user, "is_authenticated", False) else None,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    ret.refresh_from_db()
    audit_record(
        action="reject",
        summary=f"Rejected {ret.submitter.name} {ret.period} version {ret.version}: {reason}",
        user=user,
        submitter=ret.submitter,
        source_return=ret,
        details={"reason": reason},
    )
    return ret


# Problems kept in an "upload_failed" audit record for the downloadable report; a file with
# more than this many is cut, and the record says how many there were.
MAX_PROBLEMS_KEPT = 10_000


@dataclass
class UploadOutcome:
    """What an upload did: the stored version, or the problems (and the audit record naming them)."""

    ret: Return | None
    problems: list[Problem] = field(default_factory=list)
    failed_event: AuditEvent | None = None
    rows_read: int = 0
    identical_to: Return | None = None  # the latest version, when the file is byte-for-byte the same

    @property
    def identical_message(self) -> str:
        """'This file is identical to version N, sent on 14 May 2015; nothing was changed', or ''."""
        same = self.identical_to
        if same is None:
            return ""
        sent = timezone.localdate(same.uploaded_at)
        return f"This file is identical to version {same.version}, sent on {sent:%-d %B %Y}; nothing was changed"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _problem_dict(p: Problem) -> dict:
    return {
        "file": p.file,
        "row": p.row,
        "column": p.column,
        "value": p.value,
        "message": p.message,
        "severity": p.severity,
    }


def problems_from_event(event: AuditEvent) -> list[Problem]:
    return [Problem(**item) for item in event.details.get("problems", [])]


def return_upload(
    *,
    submitter: Submitter,
    start: date,
    end: date,
    raw: bytes,
    file_name: str,
    user=None,
    accept: bool = False,
    source: str = "upload",
    progress: Callable[[int], None] | None = None,
    on_validated: Callable[[int], None] | None = None,
) -> UploadOutcome:
    """Validate an uploaded return and, only when it has no errors, store it as version N+1.

    On any error nothing is written except an "upload_failed" audit record holding every problem
    (so the report can be downloaded later). accept=True accepts the new version in the same
    transaction (command-line imports). A file byte-for-byte the same as the latest version for
    this submitter and period writes nothing: the outcome's identical_to names that version.
    Raises ReturnConflict when a concurrent write wins.
    """
    period_kind_ok = (start, end) in (month_bounds(start), financial_quarter(start))
    if not period_kind_ok:
        raise ValueError(f"{start} to {end} is neither a calendar month nor a financial quarter")
    latest = (
        Return.objects.filter(submitter=submitter, period__start=start, period__end=end).order_by("-version").first()
    )
    if latest is not None and latest.sha256 == hashlib.sha256(raw).hexdigest():
        return UploadOutcome(ret=None, identical_to=latest)
    context = upload_context(submitter=submitter, start=start, end=end, file_name=file_name)
    result = parse_upload(raw, context=context)
    if not result.ok:
        problems = result.problems
        event = audit_record(
            action="upload_failed",
            summary=f"{submitter.name} {start} to {end}: {file_name} failed validation with {len(result.errors):,} errors",
            user=user,
            submitter=submitter,
            details={
                "file": file_name,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "sha256": hashlib.sha256(raw).hexdigest(),
                "error_count": len(result.errors),
                "problem_count": len(problems),
                "problems": [_problem_dict(p) for p in problems[:MAX_PROBLEMS_KEPT]],
            },
        )
        return UploadOutcome(ret=None, problems=problems, failed_event=event, rows_read=result.rows_read)
    if on_validated:
        on_validated(len(result.rows))
    warnings = [_problem_dict(p) for p in result.warnings[:MAX_PROBLEMS_KEPT]]
    try:
        with transaction.atomic():
            period = period_for(start=start, end=end)
            ret = return_submit(
                submitter=submitter,
                period=period,
                rows=result.rows,
                raw=raw,
                original_name=file_name,
                user=user,
                source=source,
                narrative=result.narrative,
                warnings=warnings,
                summary={
                    "file_type": result.file_type,
                    "encoding": result.encoding,
                    "separator": result.separator,
                    "sheet": result.sheet,
                    "rows_read": result.rows_read,
                    # What in the original could run or reach out when opened.
                    "formulas": result.formulas,
                    "external_links": result.external_links,
                    "formula_like_cells": result.formula_like_cells,
                },
                progress=progress,
            )
            if accept:
                ret = return_accept(ret=ret, user=user, reason="Accepted on import")
    except IntegrityError as exc:
        # The row lock makes this rare; the constraints are the safety net.
        raise ReturnConflict(
            f"someone else changed the {submitter.name} return for {start} to {end} at the same moment; "
            "look at its history and try again"
        ) from exc
    return UploadOutcome(ret=ret, problems=result.warnings, rows_read=result.rows_read)


def return_file_path(ret: Return) -> Path | None:
    """Where the original file is kept (never served directly), or None when it is missing."""
    if not ret.stored_name:
        return None
    path = Path(settings.RETURN_FILES_DIR) / ret.stored_name
    return path if path.is_file() else None


def return_download_name(ret: Return) -> str:
    """A generated file name for the original upload: never the uploader's own (ASVS 5.4.1)."""
    suffix = Path(ret.original_name).suffix.lower()
    ext = suffix if suffix in {".csv", ".xlsx"} else ".bin"
    return f"return-{ret.submitter.code}-{ret.period.start:%Y-%m-%d}-{ret.period.end:%Y-%m-%d}-v{ret.version}{ext}"


class OutcomeAuditError(ValueError):
    """An outcome audit finding that cannot be stored."""


@transaction.atomic
def outcome_audit_create(
    *, area: Area, month: date, crime_group: str, sampled: int, correct: int, note: str = "", user=None
) -> OutcomeAudit:
    """Record outcome audit findings: crimes dip-sampled and how many had the right outcome."""
    if sampled <= 0:
        raise OutcomeAuditError("the number sampled must be at least 1")
    if correct < 0 or correct > sampled:
        raise OutcomeAuditError("the number correct must be between 0 and the number sampled")
    audit = OutcomeAudit.objects.create(
        area=area,
        month=month.replace(day=1),
        crime_group=crime_group.strip(),
        sampled=sampled,
        correct=correct,
        note=note.strip(),
        entered_by=user if getattr(user, "is_authenticated", False) else None,
    )
    audit_record(
        action="outcome_audit",
        summary=f"Outcome audit {month:%B %Y} {crime_group}: {correct} of {sampled} correct",
        user=user,
        details={"outcome_audit": audit.pk},
    )
    return audit
