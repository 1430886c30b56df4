"""The quarterly statement on a framework's priorities: drafted from a snapshot, approved, published, never changed.

The content (which priorities apply locally and why, the latest figures and their verdicts) is
read from one frozen snapshot when the draft is made and kept with the statement, so a published
statement reads the same forever; a later correction appears only in a later quarter's draft. It
is made for the public whoever drafts it: restricted measures never enter it.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.db import transaction
from django.utils import timezone

from pcc_dashboard import vocabulary
from priorities.models import Framework, Priority
from priorities.selectors import measures_visible_to
from reports.analysis.status import msg_verdict
from reports.forces_selectors import NoComparison, forces_comparison
from reports.freeze import canonical_json
from reports.models import Snapshot, Statement, StatementStatus
from reports.report_pages import measure_payloads
from reports.selectors import snapshot_is_published
from returns.periods import is_month_end

INTRODUCTION = "introduction"


class StatementError(ValueError):
    """A step the statement cannot take; the message is a sentence for the co-ordinator."""


def is_quarter_end(day: date) -> bool:
    return is_month_end(day) and day.month in (3, 6, 9, 12)


def forces_words(snapshot: Snapshot, measure) -> str | None:
    """'ranked 12 of 43 forces (1 = lowest rate), below the all forces' rate' for a comparable measure."""
    if not measure.msg_comparable:
        return None
    try:
        found = forces_comparison(
            snapshot=snapshot, measure_code=measure.code, direction=measure.direction, period_end=None
        )
    except NoComparison:
        return None
    summary = found["summary"]
    if summary["focus_rank"] is None:
        return None
    joint = "joint " if (summary["focus_rank_shared"] or 1) > 1 else ""
    versus = {"above": "above", "below": "below", "equal": "equal to"}[summary["focus_vs_all"]]
    return (
        f"{summary['focus_rate']:.2f} per 1,000 in the 12 months to {date.fromisoformat(found['period_end']):%B %Y}, "
        f"ranked {joint}{summary['focus_rank']} of {summary['forces_ranked']} forces (1 = {summary['rank_1_is']} "
        f"rate), {versus} the all forces' rate of {summary['all_forces_rate']:.2f}"
        + (f" ({found['coverage'][0].lower()}{found['coverage'][1:-1]})" if found.get("coverage") else "")
    )


def _measure_item(snapshot: Snapshot, measure, payload: dict) -> dict:
    under_reported = measure.under_reported
    return {
        "code": measure.code,
        "title": measure.title,
        "sentence": (payload.get("status") or {}).get("sentence", ""),
        "spc": vocabulary.label("variation", payload.get("variation"), default="No SPC verdict in this snapshot"),
        "msg": msg_verdict((payload.get("msg") or {}).get("summary"), under_reported=under_reported),
        "forces": forces_words(snapshot, measure),
        "under_reported": under_reported,
    }


def _priorities(framework: Framework) -> list[dict]:
    """The framework's priorities as the statement lists them: each with its measures' codes."""
    if framework.local:
        return [
            {
                "code": f"sp{p.number}",
                "title": f"SP{p.number}: {p.title}",
                "summary": p.summary,
                "applies_locally": True,
                "why": p.restricted_narrative if p.restricted else "A priority of the local plan.",
                "local_priorities": [],
                "measures": [] if p.restricted else [m.code for m in p.measures.all()],
            }
            for p in Priority.objects.order_by("number").prefetch_related("measures")
        ]
    return [
        {
            "code": p.code,
            "title": p.title,
            "summary": p.summary,
            "applies_locally": p.applies_locally,
            "why": p.local_reason,
            "local_priorities": [f"SP{n.number}: {n.title}" for n in p.local_priorities.order_by("number")],
            "measures": [m.code for m in p.measures.order_by("order", "code")],
        }
        for p in framework.priorities.prefetch_related("measures", "local_priorities")
    ]


def statement_content(*, framework: Framework, snapshot: Snapshot) -> dict:
    """What the statement shows, from the snapshot and the framework as the plan file holds it now.

    Output: {"framework": {code, title, summary, source}, "snapshot": {as_of, digest},
    "priorities": [{code, title, summary, applies_locally, why, local_priorities: [names],
    "measures": [{code, title, sentence, spc, msg, forces, under_reported}]}]}. Only measures the
    public may see enter, whoever drafts it.
    """
    public = {m.code: m for m in measures_visible_to(None)}
    items = _priorities(framework)
    codes = sorted({code for item in items for code in item["measures"] if code in public})
    payloads = measure_payloads(snapshot, codes, recent=True)
    for item in items:
        item["measures"] = [
            _measure_item(snapshot, public[code], payloads[code])
            for code in item["measures"]
            if code in public and code in payloads
        ]
    return {
        "framework": {
            "code": framework.code,
            "title": framework.title,
            "summary": framework.summary,
            "source": framework.source,
        },
        "snapshot": {"as_of": snapshot.as_of.isoformat(), "digest": snapshot.digest},
        "priorities": items,
    }


@transaction.atomic
def statement_draft(*, framework_code: str, quarter_end: date, snapshot: Snapshot, user=None) -> Statement:
    """Make (or remake from a newer snapshot) the draft for a framework and quarter, keeping the words.

    Raises StatementError for an unknown framework, a date that is not a quarter end, a snapshot
    older than the quarter, or a quarter whose statement is already published.
    """
    framework = Framework.objects.filter(code=framework_code).first()
    if framework is None:
        raise StatementError("There is no such framework in the plan file.")
    if not is_quarter_end(quarter_end):
        raise StatementError("Choose the last day of a quarter (31 March, 30 June, 30 September or 31 December).")
    if snapshot.as_of < quarter_end:
        raise StatementError(f"Choose a snapshot from {quarter_end:%-d %B %Y} or later: the quarter must have ended.")
    if Statement.objects.filter(
        framework_code=framework_code, quarter_end=quarter_end, status=StatementStatus.PUBLISHED
    ).exists():
        raise StatementError("The statement for this quarter is published and never changes; draft the next quarter's.")
    statement = (
        Statement.objects.select_for_update().filter(framework_code=framework_code, quarter_end=quarter_end).first()
    )
    content = statement_content(framework=framework, snapshot=snapshot)
    if statement is None:
        statement = Statement(framework_code=framework_code, quarter_end=quarter_end, words={})
    statement.framework_title = framework.title
    statement.snapshot = snapshot
    statement.content = content
    statement.status = StatementStatus.DRAFT
    statement.drafted_at, statement.drafted_by = timezone.now(), _user(user)
    statement.approved_at = statement.approved_by = None
    statement.save()
    return statement


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _unpublished(statement: Statement) -> Statement:
    current = Statement.objects.select_for_update().get(pk=statement.pk)
    if current.status == StatementStatus.PUBLISHED:
        raise StatementError("This statement is published and never changes.")
    return current


@transaction.atomic
def statement_words_save(*, statement: Statement, words: dict[str, str], user=None) -> Statement:
    """The office's words (introduction and one text per priority code); an approved draft goes back to draft."""
    current = _unpublished(statement)
    known = {INTRODUCTION, *(p["code"] for p in current.content["priorities"])}
    current.words = {key: text.strip() for key, text in words.items() if key in known and text.strip()}
    current.status = StatementStatus.DRAFT
    current.approved_at = current.approved_by = None
    current.drafted_at, current.drafted_by = timezone.now(), _user(user)
    current.save()
    return current


@transaction.atomic
def statement_approve(*, statement: Statement, user=None) -> Statement:
    """The co-ordinator approves the draft as it stands; it needs the office's introduction."""
    current = _unpublished(statement)
    if not current.words.get(INTRODUCTION):
        raise StatementError("Write the office's words on the force's contribution before approving.")
    current.status = StatementStatus.APPROVED
    current.approved_at, current.approved_by = timezone.now(), _user(user)
    current.save()
    return current


def statement_digest(statement: Statement) -> str:
    """SHA-256 of what is published: framework, quarter, snapshot and its digest, content and words."""
    body = {
        "framework_code": statement.framework_code,
        "framework_title": statement.framework_title,
        "quarter_end": statement.quarter_end.isoformat(),
        "snapshot": statement.snapshot.as_of.isoformat(),
        "snapshot_digest": statement.snapshot.digest,
        "content": statement.content,
        "words": statement.words,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


@transaction.atomic
def statement_publish(*, statement: Statement, user=None) -> Statement:
    """Publish an approved statement: its digest is fixed and it never changes again."""
    current = _unpublished(statement)
    if current.status != StatementStatus.APPROVED:
        raise StatementError("Approve the statement before publishing it.")
    if not snapshot_is_published(current.snapshot):
        raise StatementError("Publish its snapshot first: the public sees figures from published snapshots only.")
    current.digest = statement_digest(current)
    current.status = StatementStatus.PUBLISHED
    current.published_at, current.published_by = timezone.now(), _user(user)
    current.save()
    return current
