"""The demo's month-end freezes, publications and statements, dated as the co-ordinator would make them."""

from datetime import date

from django.utils import timezone

from demo.days import office_time, return_due
from reports.models import SnapshotPublication
from reports.services import snapshot_freeze, snapshot_publish
from reports.statements import (
    is_quarter_end,
    statement_approve,
    statement_draft,
    statement_publish,
    statement_words_save,
)
from returns.periods import add_working_days


def snapshot_freeze_on_time(as_of: date, user=None):
    """Freeze as the co-ordinator would: the working day after the month's returns were due."""
    return snapshot_freeze(as_of=as_of, user=user, frozen_at=office_time(add_working_days(return_due(as_of), 1), 10))


def snapshot_publish_on_time(snapshot, user=None):
    """Publish as the co-ordinator would: the working day after the freeze."""
    publication = snapshot_publish(snapshot=snapshot, user=user)
    published_at = office_time(add_working_days(timezone.localdate(snapshot.frozen_at), 1), 11)
    SnapshotPublication.objects.filter(pk=publication.pk).update(published_at=published_at)


DEMO_STATEMENT_WORDS = (
    "Demo words: the force's neighbourhood teams, the violence reduction work with partners and the "
    "victim services the office commissions contribute to these priorities; the figures below are from "
    "the frozen snapshot named above."
)


def statements_seed(frozen: list, user) -> None:
    """The national priorities statement for the latest published quarter end, and the next quarter's draft."""
    quarter_ends = [s for s in frozen if is_quarter_end(s.as_of)]
    published = [s for s in quarter_ends if s is not frozen[-1]]
    if not published:
        return
    last = published[-1]
    draft = statement_draft(framework_code="national_priorities", quarter_end=last.as_of, snapshot=last, user=user)
    draft = statement_words_save(statement=draft, words={"introduction": DEMO_STATEMENT_WORDS}, user=user)
    statement_publish(statement=statement_approve(statement=draft, user=user), user=user)
    if quarter_ends[-1] is not last:
        latest = quarter_ends[-1]
        statement_draft(framework_code="national_priorities", quarter_end=latest.as_of, snapshot=latest, user=user)
