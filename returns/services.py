"""Return versions: submit, upload, accept, reject; the stored originals, outcome audits and the audit trail.

Submitters, data sets and return periods are set up by returns.reference; a version's rows are
bulk-loaded by returns.loader.
"""

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from pcc_dashboard.private_files import private_dir, private_file
from priorities.models import Area
from returns.loader import observation_frame, observations_copy, outcomes_insert
from returns.models import (
    AuditEvent,
    Narrative,
    OutcomeAudit,
    Return,
    ReturnPeriod,
    ReturnStatus,
    Submitter,
)
from returns.parsing import ParseResult, parse_upload
from returns.periods import financial_quarter, month_bounds, period_label
from returns.problems import BySeverity, Problem
from returns.reference import period_for
from returns.selectors import upload_context


class ReturnConflict(Exception):
    """Someone else changed this return first; the user should review and try again."""


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


def return_file_store(raw: bytes, name: str) -> None:
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
                observations_copy(observation_frame(rows, ret.pk), progress)
            if narrative:
                Narrative.objects.bulk_create(
                    Narrative(source_return=ret, priority_number=number, text=text)
                    for number, text in sorted(narrative.items())
                    if text and text.strip()
                )
            if outcomes is not None and len(outcomes):
                outcomes_insert(ret, outcomes)
            audit_record(
                action="upload" if source == "upload" else source,
                summary=f"{submitter.name} {period}: version {ret.version} with {len(rows):,} rows from {original_name}",
                user=user,
                submitter=submitter,
                source_return=ret,
                details={"sha256": ret.sha256, "rows": len(rows), "warnings": len(warnings or [])},
            )
            return_file_store(raw, stored_name)
    except BaseException:
        (Path(settings.RETURN_FILES_DIR) / stored_name).unlink(missing_ok=True)
        raise
    return ret


def _submitted_locked(ret: Return) -> Return:
    """The return read again under its submitter's lock; ReturnConflict unless it awaits a decision."""
    Submitter.objects.select_for_update().get(pk=ret.submitter_id)
    ret = Return.objects.get(pk=ret.pk)
    if ret.status != ReturnStatus.SUBMITTED:
        raise ReturnConflict(f"version {ret.version} is already {ret.get_status_display().lower()}")
    return ret


def _decision_record(ret: Return, status: str, summary: str, *, user, reason: str, **extra) -> Return:
    """Mark the version decided (status, who, when, why) and audit it under summary; extra fields update the row."""
    Return.objects.filter(pk=ret.pk).update(
        status=status,
        decided_by=user if getattr(user, "is_authenticated", False) else None,
        decided_at=timezone.now(),
        decision_reason=reason,
        **extra,
    )
    ret.refresh_from_db()
    audit_record(
        action="accept" if status == ReturnStatus.ACCEPTED else "reject",
        summary=summary,
        user=user,
        submitter=ret.submitter,
        source_return=ret,
        details={"reason": reason},
    )
    return ret


@transaction.atomic
def return_accept(*, ret: Return, user=None, reason: str = "") -> Return:
    """Accept a submitted version: it becomes current and supersedes the earlier current one.

    Raises ReturnConflict when the version is no longer awaiting a decision.
    """
    ret = _submitted_locked(ret)
    Return.objects.filter(submitter_id=ret.submitter_id, period_id=ret.period_id, is_current=True).update(
        is_current=False, status=ReturnStatus.SUPERSEDED
    )
    summary = f"Accepted {ret.submitter.name} {ret.period} version {ret.version}"
    return _decision_record(ret, ReturnStatus.ACCEPTED, summary, user=user, reason=reason, is_current=True)


@transaction.atomic
def return_reject(*, ret: Return, user=None, reason: str) -> Return:
    """Reject a submitted version with a reason; the current version, if any, stays current.

    Raises ReturnConflict when the version is no longer awaiting a decision.
    """
    ret = _submitted_locked(ret)
    summary = f"Rejected {ret.submitter.name} {ret.period} version {ret.version}: {reason}"
    return _decision_record(ret, ReturnStatus.REJECTED, summary, user=user, reason=reason)


# Problems kept in an "upload_failed" audit record for the downloadable report; a file with
# more than this many is cut, and the record says how many there were.
MAX_PROBLEMS_KEPT = 10_000


@dataclass
class UploadOutcome(BySeverity):
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


def _problem_dict(p: Problem) -> dict:
    """A problem as the plain dict an audit record keeps (file, row, column, value, message, severity)."""
    return asdict(p)


def problems_from_event(event: AuditEvent) -> list[Problem]:
    return [Problem(**item) for item in event.details.get("problems", [])]


def _upload_identical(*, submitter: Submitter, start: date, end: date, raw: bytes) -> Return | None:
    """The latest version for this submitter and period when its file is byte-for-byte `raw`, else None."""
    latest = (
        Return.objects.filter(submitter=submitter, period__start=start, period__end=end).order_by("-version").first()
    )
    if latest is not None and latest.sha256 == hashlib.sha256(raw).hexdigest():
        return latest
    return None


def _upload_failed_record(
    *, submitter: Submitter, start: date, end: date, raw: bytes, file_name: str, user, result: ParseResult
) -> AuditEvent:
    """The "upload_failed" audit record holding the file's problems (at most MAX_PROBLEMS_KEPT)."""
    problems = result.problems
    return audit_record(
        action="upload_failed",
        summary=(
            f"{submitter.name} {period_label(start, end)}: {file_name} failed validation with "
            f"{len(result.errors):,} error{'' if len(result.errors) == 1 else 's'}"
        ),
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


def _upload_summary(result: ParseResult) -> dict:
    """What the stored version records about how its file was read."""
    return {
        "file_type": result.file_type,
        "encoding": result.encoding,
        "separator": result.separator,
        "sheet": result.sheet,
        "rows_read": result.rows_read,
        # What in the original could run or reach out when opened.
        "formulas": result.formulas,
        "external_links": result.external_links,
        "formula_like_cells": result.formula_like_cells,
    }


def _upload_store(
    *,
    submitter: Submitter,
    start: date,
    end: date,
    raw: bytes,
    file_name: str,
    user,
    accept: bool,
    source: str,
    result: ParseResult,
    progress: Callable[[int], None] | None,
) -> Return:
    """Store a validated upload as the next version (accepted too when `accept`), in one transaction.

    Raises ReturnConflict when a database constraint shows a concurrent write won."""
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
                warnings=[_problem_dict(p) for p in result.warnings[:MAX_PROBLEMS_KEPT]],
                summary=_upload_summary(result),
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
    return ret


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
    on_validated, when given, is called with the number of valid rows before they are stored.
    Raises ValueError when start to end is neither a calendar month nor a financial quarter, and
    ReturnConflict when a concurrent write wins.
    """
    period_kind_ok = (start, end) in (month_bounds(start), financial_quarter(start))
    if not period_kind_ok:
        raise ValueError(f"{start} to {end} is neither a calendar month nor a financial quarter")
    identical = _upload_identical(submitter=submitter, start=start, end=end, raw=raw)
    if identical is not None:
        return UploadOutcome(ret=None, identical_to=identical)
    context = upload_context(submitter=submitter, start=start, end=end, file_name=file_name)
    result = parse_upload(raw, context=context)
    if not result.ok:
        event = _upload_failed_record(
            submitter=submitter, start=start, end=end, raw=raw, file_name=file_name, user=user, result=result
        )
        return UploadOutcome(ret=None, problems=result.problems, failed_event=event, rows_read=result.rows_read)
    if on_validated:
        on_validated(len(result.rows))
    ret = _upload_store(
        submitter=submitter,
        start=start,
        end=end,
        raw=raw,
        file_name=file_name,
        user=user,
        accept=accept,
        source=source,
        result=result,
        progress=progress,
    )
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
