"""Deterministic demo data: realistic returns from April 2010, demo users, and month-end freezes.

Everything goes through the product's own services (return_submit, return_accept, snapshot_freeze),
so the demo exercises the same paths as real returns. Figures are synthetic but realistic: all crime
at about 60–90 per 1,000 a year, seasonal violence and burglary, a step down in burglary after
April 2013, and a rise in recorded serious sexual offences after a recording-practice change in
November 2014. Fixed random seed, so every run gives the same figures.
"""

import io
import math
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from pcc_dashboard import roles
from priorities.models import Area, AreaKind, Measure, OutcomeScheme, OutcomeType, PeerGroupMember, Population
from priorities.office import current_office, focus_force_code, peer_group_name
from reports.models import Snapshot, SnapshotPublication
from reports.services import snapshot_freeze, snapshot_publish
from returns.loader import OBSERVATION_COLUMNS
from returns.models import AuditEvent, Return, Submitter, SubmitterMembership
from returns.periods import add_months, add_working_days, due_date, financial_quarter, month_end
from returns.reference import PUBLIC_SUBMITTER, force_submitter, period_for
from returns.services import return_accept, return_reject, return_submit

SEED = 2014
START = date(2010, 4, 1)
FIRST_FREEZE = date(2014, 3, 31)
DEMO_SOURCE = "seed_demo"
USERS_FILE = Path(os.environ.get("DEMO_USERS_FILE") or Path(settings.BASE_DIR) / "var" / "demo_users.txt")

# Crimes per 1,000 population a year for the office's force in 2010, and a yearly drift.
FORCE_RATES = {
    "all_crime": (78.0, -0.035),
    "burglary_dwelling": (5.6, -0.04),
    "theft_of_motor_vehicle": (1.4, -0.06),
    "theft_from_motor_vehicle": (5.0, -0.05),
    "violence_with_injury": (6.8, -0.01),
    "domestic_abuse": (9.5, 0.04),
    "serious_sexual_offences": (1.1, 0.05),
    "hate_crime": (0.9, 0.03),
}
# Summer peak for violence, winter peak for burglary (month → multiplier).
SEASON = {
    "violence_with_injury": lambda m: 1 + 0.10 * math.cos((m - 7) / 12 * 2 * math.pi),
    "burglary_dwelling": lambda m: 1 + 0.12 * math.cos((m - 12) / 12 * 2 * math.pi),
    "all_crime": lambda m: 1 + 0.05 * math.cos((m - 7) / 12 * 2 * math.pi),
}
# Relative crime rate of each CSP area against the force: the most populous (a city) is busier.
CITY_FACTOR, CSP_FACTOR = 1.7, 0.85
# All-crime rate relative to the office's force for the other peer group members, by name order.
PEER_FACTORS = (1.02, 0.93, 1.05, 0.82, 1.12, 1.18, 0.95)
CRIME_GROUPS = {
    "Violence against the person": 0.36,
    "Sexual offences": 0.03,
    "Robbery": 0.01,
    "Theft offences": 0.38,
    "Criminal damage and arson": 0.13,
    "Drug offences": 0.04,
    "Public order offences": 0.05,
}
# Share of crimes given each Home Office outcome (codes); no outcome ranks above another.
OUTCOME_SHARES = {
    "1": 0.14,
    "1A": 0.01,
    "2": 0.01,
    "3": 0.04,
    "6": 0.01,
    "7": 0.01,
    "8": 0.06,
    "9": 0.005,
    "10": 0.005,
    "14": 0.12,
    "15": 0.06,
    "16": 0.11,
    "17": 0.005,
    "18": 0.40,
    "20": 0.01,
}
SURVEYS = {"victim_satisfaction": (85.5, 420), "asb_satisfaction": (79.0, 300), "public_confidence": (58.0, 900)}


@dataclass
class DemoResult:
    created: bool
    returns: int
    snapshots: list[date]
    users: list[tuple[str, str, str]]


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


# A return's columns but the comment, in the order the demo's records hold them.
FIGURE_COLUMNS = [column for column in OBSERVATION_COLUMNS if column != "comment"]


def _rows(records: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=FIGURE_COLUMNS)
    frame["comment"] = ""
    return frame.astype(object).where(frame.notna(), None)


def _at(day: date, hour: int) -> datetime:
    """A plausible office time on a demo day (local time zone)."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _stamp(ret: Return, *, uploaded: date, decided: date | None = None) -> None:
    """Date a demo return as if it had arrived (and been decided) on those days, audit trail too."""
    Return.objects.filter(pk=ret.pk).update(uploaded_at=_at(uploaded, 9))
    AuditEvent.objects.filter(source_return=ret, action__in=["upload", "import_return"]).update(at=_at(uploaded, 9))
    if decided is not None:
        Return.objects.filter(pk=ret.pk).update(decided_at=_at(decided, 14))
        AuditEvent.objects.filter(source_return=ret, action__in=["accept", "reject"]).update(at=_at(decided, 14))


def _due(end: date) -> date:
    return due_date(end, settings.RETURN_DUE_WORKING_DAYS)


def _submit(
    submitter,
    start: date,
    end: date,
    records: list[tuple],
    *,
    accept=True,
    narrative=None,
    outcomes=None,
    user=None,
    decider=None,
    arrived: int = -3,
):
    """Submit (and accept) a demo return, dated `arrived` working days from its due date."""
    rows = _rows(records)
    raw = rows.to_csv(index=False).encode()
    period = period_for(start=start, end=end)
    ret = return_submit(
        submitter=submitter,
        period=period,
        rows=rows,
        raw=raw,
        original_name=f"{submitter.code}-{start:%Y-%m}-{end:%Y-%m}.csv",
        user=user,
        source=DEMO_SOURCE,
        narrative=narrative,
        outcomes=outcomes,
    )
    if accept:
        return_accept(ret=ret, user=decider, reason="Checked against the force's own figures")
    uploaded = add_working_days(_due(end), arrived) if arrived >= 0 else _working_days_before(_due(end), -arrived)
    _stamp(ret, uploaded=uploaded, decided=add_working_days(uploaded, 1) if accept else None)
    return ret


def _working_days_before(day: date, days: int) -> date:
    while days > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


class DemoBuilder:
    def __init__(self, to_month: date):
        self.to = month_end(to_month)
        self.rng = _rng()
        self.focus = Area.objects.get(code=focus_force_code())
        self.csps = list(Area.objects.filter(kind=AreaKind.CSP, parent=self.focus).order_by("name"))
        members = PeerGroupMember.objects.filter(group__name=peer_group_name() or "").select_related("area")
        self.msg = list(dict.fromkeys(m.area for m in members.order_by("area__name") if m.area_id != self.focus.pk))
        self.peer_factor = {a.code: PEER_FACTORS[i % len(PEER_FACTORS)] for i, a in enumerate(self.msg)}
        self.coordinator = User.objects.get_or_create(
            username="coordinator", defaults={"first_name": "Demo", "last_name": "Coordinator"}
        )[0]
        self.force = force_submitter()
        self.public = Submitter.objects.get(code=PUBLIC_SUBMITTER)
        self.csp_submitters = {s.area_id: s for s in Submitter.objects.filter(kind="csp")}
        self.measures = set(Measure.objects.values_list("code", flat=True))
        self.population = self._population(self.focus)
        csp_pops = {a.code: self._population(a) for a in self.csps}
        city = max(csp_pops, key=csp_pops.get, default=None)
        weights = {a.code: csp_pops[a.code] * (CITY_FACTOR if a.code == city else CSP_FACTOR) for a in self.csps}
        total = sum(weights.values())
        self.csp_share = {code: w / total for code, w in weights.items()}
        self.outcome_types = dict(
            OutcomeType.objects.filter(scheme=OutcomeScheme.HOME_OFFICE).values_list("code", "in_use_from")
        )
        self.quarterly_counts: dict[tuple[str, date], float] = {}

    @staticmethod
    def _population(area) -> int:
        row = Population.objects.filter(area=area).order_by("mid_year").first()
        return row.population if row else 100_000

    def months(self):
        month = START
        while month <= self.to:
            yield month
            month = add_months(month, 1)

    def monthly_count(self, code: str, month: date, population: int, factor: float = 1.0) -> int:
        rate, drift = FORCE_RATES[code]
        years = (month.year - START.year) + (month.month - START.month) / 12
        expected = rate * factor * population / 1000 / 12 * (1 + drift) ** years
        expected *= SEASON.get(code, lambda m: 1.0)(month.month)
        if code == "burglary_dwelling" and month >= date(2013, 4, 1):
            expected *= 0.85  # step change: a burglary operation from April 2013
        if code == "serious_sexual_offences" and month >= date(2014, 11, 1):
            expected *= 1.35  # recording-practice change after the HMIC inspection
        return int(self.rng.poisson(expected))

    def force_month(self, month: date) -> Return:
        end = month_end(month)
        records, outcomes = [], []
        for code in FORCE_RATES:
            total = self.monthly_count(code, month, self.population)
            records.append((code, self.focus.code, month, end, total, None, None, None))
            split = self.rng.multinomial(total, [self.csp_share[a.code] for a in self.csps])
            for area, value in zip(self.csps, split):
                records.append((code, area.code, month, end, int(value), None, None, None))
            key = (code, financial_quarter(month)[0])
            self.quarterly_counts[key] = self.quarterly_counts.get(key, 0) + total
            if code == "all_crime" and month >= date(2013, 4, 1):
                outcomes.extend(self.outcomes(month, total))
        frame = pd.DataFrame(outcomes, columns=["area_code", "month", "crime_group", "scheme", "outcome_code", "count"])
        return _submit(self.force, month, end, records, outcomes=frame, decider=self.coordinator, arrived=-5)

    def outcomes(self, month: date, total_crimes: int) -> list[tuple]:
        codes = [
            c for c, since in self.outcome_types.items() if c in OUTCOME_SHARES and (since is None or since <= month)
        ]
        shares = np.array([OUTCOME_SHARES[c] for c in codes])
        shares = shares / shares.sum()
        rows = []
        for group, share in CRIME_GROUPS.items():
            counts = self.rng.multinomial(int(total_crimes * share), shares)
            rows.extend(
                (self.focus.code, month, group, OutcomeScheme.HOME_OFFICE, code, int(n))
                for code, n in zip(codes, counts)
                if n
            )
        return rows

    def quarter(self, start: date, end: date, *, narrative_from: date) -> list[Return]:
        made = []
        quarters = (start.year - START.year) * 4 + (start.month - START.month) // 3
        records = []
        for code, (pct, n) in SURVEYS.items():
            value = float(np.clip(self.rng.normal(pct + 0.15 * quarters / 4, 1.6), 0, 100))
            respondents = int(n + self.rng.integers(-40, 40))
            records.append(
                (
                    code,
                    self.focus.code,
                    start,
                    end,
                    round(value, 1),
                    round(value * respondents / 100),
                    respondents,
                    respondents,
                )
            )
        records.append(
            (
                "iom_cohort_offences",
                self.focus.code,
                start,
                end,
                int(self.rng.poisson(180 * 0.97**quarters)),
                None,
                None,
                None,
            )
        )
        records.append(
            (
                "marac_referrals",
                self.focus.code,
                start,
                end,
                int(self.rng.poisson(240 * 1.02**quarters)),
                None,
                None,
                None,
            )
        )
        if start >= date(2013, 4, 1):
            # SP18: cumulative savings since April 2013 towards the office's savings challenge.
            done = (start.year - 2013) * 4 + (start.month - 4) // 3 + 1
            records.append(
                (
                    "revenue_savings",
                    self.focus.code,
                    start,
                    end,
                    round(done * 1_150_000 + self.rng.normal(0, 90_000), -3),
                    None,
                    None,
                    None,
                )
            )
        made.append(_submit(self.force, start, end, records, decider=self.coordinator, arrived=-2))
        made.extend(self.csp_quarter(start, end, narrative_from=narrative_from))
        made.append(self.public_quarter(start, end))
        return made

    def csp_quarter(self, start: date, end: date, *, narrative_from: date) -> list[Return]:
        made = []
        last_quarter = end == financial_quarter(self.to)[1] or end == month_end(self.to)
        for index, area in enumerate(self.csps):
            submitter = self.csp_submitters[area.pk]
            if last_quarter and index == 0:
                continue  # one partnership has not returned yet: the tracker shows it missing
            cohort = int(self.rng.integers(150, 600))
            youth_cohort = int(self.rng.integers(20, 80))
            adult = int(self.rng.binomial(cohort, 0.26))
            youth = int(self.rng.binomial(youth_cohort, 0.36))
            records = [
                (
                    "youth_first_time_entrants",
                    area.code,
                    start,
                    end,
                    int(self.rng.poisson(12 * self.csp_share[area.code] * 9)),
                    None,
                    None,
                    None,
                ),
                ("adult_reoffending_rate", area.code, start, end, round(100 * adult / cohort, 1), adult, cohort, None),
                (
                    "youth_reoffending_rate",
                    area.code,
                    start,
                    end,
                    round(100 * youth / youth_cohort, 1),
                    youth,
                    youth_cohort,
                    None,
                ),
            ]
            narrative = None
            if start >= narrative_from:
                narrative = {
                    1: f"{area.name}: the youth diversion scheme worked with {int(self.rng.integers(15, 60))} young people this quarter.",
                    10: f"{area.name}: joint patrols in the town centre on Friday and Saturday nights continued.",
                    16: f"{area.name}: domestic abuse awareness sessions held with local employers and schools.",
                }
            # The last quarter is partly in: one awaiting a decision, one rejected, one arrived late.
            accept = not (last_quarter and index in (1, 2, 3))
            arrived = 4 if last_quarter and index == 3 else -(1 + index % 4)
            ret = _submit(
                submitter, start, end, records, narrative=narrative, accept=accept, decider=self.coordinator, arrived=arrived
            )
            if last_quarter and index == 2:
                return_reject(
                    ret=ret,
                    user=self.coordinator,
                    reason="Cohort size does not match the probation data; please check and resubmit.",
                )
                _stamp(ret, uploaded=_working_days_before(_due(end), 3), decided=_working_days_before(_due(end), 1))
            made.append(ret)
        return made

    def public_quarter(self, start: date, end: date) -> Return:
        """Home Office-style quarterly counts for every peer group force (the office's own from its months)."""
        records = []
        for code in (
            "all_crime",
            "burglary_dwelling",
            "theft_of_motor_vehicle",
            "theft_from_motor_vehicle",
            "violence_with_injury",
        ):
            records.append(
                (code, self.focus.code, start, end, int(self.quarterly_counts.get((code, start), 0)), None, None, None)
            )
            for area in self.msg:
                population = self._population(area)
                months = [add_months(start, i) for i in range(3)]
                value = sum(self.monthly_count(code, m, population, self.peer_factor[area.code]) for m in months)
                records.append((code, area.code, start, end, value, None, None, None))
        return _submit(self.public, start, end, records, decider=self.coordinator, arrived=-1)

    def correction(self) -> Return | None:
        """A corrected May 2014 force return, accepted after the June 2014 freeze."""
        original = Return.objects.filter(
            submitter=self.force, period__start=date(2014, 5, 1), period__end=date(2014, 5, 31), is_current=True
        ).first()
        if original is None:
            return None
        # The stored observation names its measure and area by key: read their codes instead.
        fields = ["measure__code", "area__code", *FIGURE_COLUMNS[2:]]
        rows = pd.DataFrame(list(original.observations.values_list(*fields)), columns=FIGURE_COLUMNS)
        fix = (rows["measure_code"] == "burglary_dwelling") & (rows["area_code"] == self.focus.code)
        rows.loc[fix, "value"] = rows.loc[fix, "value"] + 23
        records = list(rows.itertuples(index=False, name=None))
        # The corrected version carries the month's crime outcomes again, unchanged.
        outcomes = pd.DataFrame(
            list(
                original.outcomes.values_list(
                    "area__code", "month", "crime_group", "outcome__scheme", "outcome__code", "count"
                )
            ),
            columns=["area_code", "month", "crime_group", "scheme", "outcome_code", "count"],
        )
        # Sent after the June 2014 month end was frozen (so it reaches later snapshots only).
        return _submit(
            self.force,
            date(2014, 5, 1),
            date(2014, 5, 31),
            records,
            outcomes=outcomes,
            decider=self.coordinator,
            arrived=30,
        )


def _freeze(as_of: date, user=None):
    """Freeze as the co-ordinator would: the working day after the month's returns were due."""
    return snapshot_freeze(as_of=as_of, user=user, frozen_at=_at(add_working_days(_due(as_of), 1), 10))


def _publish(snapshot, user=None):
    """Publish as the co-ordinator would: the working day after the freeze."""
    publication = snapshot_publish(snapshot=snapshot, user=user)
    published_at = _at(add_working_days(timezone.localdate(snapshot.frozen_at), 1), 11)
    SnapshotPublication.objects.filter(pk=publication.pk).update(published_at=published_at)


def demo_users() -> list[tuple[str, str, str]]:
    """One user per role with a random password (plus a staff administrator); (username, password, role)."""
    force, office = force_submitter(), current_office()
    # The demo CSP data lead is the first partnership by name; the username is its submitter's code.
    first_csp = Submitter.objects.filter(kind="csp").order_by("name").values_list("code", flat=True).first()
    wanted = [
        ("coordinator", roles.COORDINATOR, None),
        (first_csp, roles.CSP_SUBMITTER, first_csp),
        ("police", roles.POLICE_SUBMITTER, force.code),
        ("panel", roles.PANEL, None),
        ("pdg", roles.PDG, None),
        ("admin", None, None),
    ]
    made = []
    for username, role, submitter_code in wanted:
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.first_name = {"coordinator": "Demo", "admin": "Demo"}.get(username, "Demo")
        user.last_name = (role or "administrator").replace("_", " ").title()
        user.is_staff = user.is_superuser = username == "admin"
        user.save()
        if role:
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
        if submitter_code:
            SubmitterMembership.objects.update_or_create(
                user=user, defaults={"submitter": Submitter.objects.get(code=submitter_code)}
            )
        label = roles.ROLE_LABELS.get(role, "Staff administrator (Django admin)")
        if role == roles.PANEL and office is not None:
            label = f"{office.scrutiny_body} member"
        made.append((username, password, label))
    for role in roles.ROLES:
        Group.objects.get_or_create(name=role)
    USERS_FILE.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    for username, password, label in made:
        buffer.write(f"{username:<12} {password:<20} {label}\n")
    USERS_FILE.write_text(buffer.getvalue(), encoding="utf-8")
    USERS_FILE.chmod(0o600)
    return made


def _back_project_populations(areas) -> None:
    """Demo populations for 2009–2015 where only later estimates exist (marked as demo figures)."""
    for area in areas:
        first = Population.objects.filter(area=area).order_by("mid_year").first()
        if first is None:
            continue
        for year in range(2009, first.mid_year):
            Population.objects.get_or_create(
                area=area,
                mid_year=year,
                defaults={
                    "population": round(first.population * 0.993 ** (first.mid_year - year), -2),
                    "source": "demo: back-projected",
                },
            )


DEMO_STATEMENT_WORDS = (
    "Demo words: the force's neighbourhood teams, the violence reduction work with partners and the "
    "victim services the office commissions contribute to these priorities; the figures below are from "
    "the frozen snapshot named above."
)


def _statements(frozen: list, user) -> None:
    """The national priorities statement for the latest published quarter end, and the next quarter's draft."""
    from reports.statements import (
        is_quarter_end,
        statement_approve,
        statement_draft,
        statement_publish,
        statement_words_save,
    )

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


def demo_seed(*, to_month: date, progress=None) -> DemoResult:
    """Create the demo (once) and freeze every month end from March 2014 to `to_month`."""
    say = progress or (lambda message: None)
    created = False
    if not Return.objects.filter(source=DEMO_SOURCE).exists():
        created = True
        with transaction.atomic():
            builder = DemoBuilder(to_month)
            _back_project_populations([builder.focus, *builder.msg])
        frozen = []
        for month in builder.months():
            with transaction.atomic():
                builder.force_month(month)
                end = month_end(month)
                if (month.month - 4) % 3 == 2:
                    q_start, q_end = financial_quarter(month)
                    builder.quarter(q_start, q_end, narrative_from=date(2014, 1, 1))
            if end >= FIRST_FREEZE:
                frozen.append(_freeze(end, builder.coordinator))
                say(f"Froze the snapshot as at {end:%-d %B %Y}.")
                if end == date(2014, 6, 30):
                    builder.correction()
                    say("Accepted a corrected May 2014 return after the June freeze.")
        for snapshot in frozen[:-1]:
            _publish(snapshot, builder.coordinator)
        _statements(frozen, builder.coordinator)
        say("Published the statement on the national priorities and drafted the next quarter's.")
    try:
        from django.core.management import call_command

        call_command("seed_boards", verbosity=0)
    except Exception as exc:  # noqa: BLE001 - boards are optional until seed_boards exists
        say(f"Boards not seeded: {exc}")
    return DemoResult(
        created=created,
        returns=Return.objects.count(),
        snapshots=list(Snapshot.objects.order_by("as_of").values_list("as_of", flat=True)),
        users=demo_users(),
    )
