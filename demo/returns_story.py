"""The demo's returns story: realistic monthly force returns with crime outcomes, quarterly force,
partnership and public returns, and a corrected return, from April 2010 (fixed random seed)."""

import math
from datetime import date

import numpy as np
import pandas as pd
from django.contrib.auth.models import User

from demo.days import return_due, working_days_before
from demo.filing import FIGURE_COLUMNS, return_send, return_stamp
from priorities.models import Area, AreaKind, Measure, OutcomeScheme, OutcomeType, PeerGroupMember, Population
from priorities.office import focus_force_code, peer_group_name
from returns.models import Return, Submitter
from returns.periods import add_months, financial_quarter, month_end
from returns.reference import PUBLIC_SUBMITTER, force_submitter
from returns.services import return_reject

SEED = 2014
START = date(2010, 4, 1)

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


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


class DemoBuilder:
    """Makes the demo's returns month by month up to `to_month`, for the office's force, its CSP
    areas and its peer group, from one random generator (so the order of calls fixes the figures)."""

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
        """The first day of every month from April 2010 to the last demo month."""
        month = START
        while month <= self.to:
            yield month
            month = add_months(month, 1)

    def monthly_count(self, code: str, month: date, population: int, factor: float = 1.0) -> int:
        """A month's recorded crimes of one kind (FORCE_RATES code) for an area of `population` people:
        a Poisson draw around the drifting, seasonal rate, with the burglary step and the recording change."""
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
        """The force's accepted monthly return: crime counts for the force and each CSP area, with crime
        outcomes from April 2013."""
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
        return return_send(self.force, month, end, records, outcomes=frame, decider=self.coordinator, arrived=-5)

    def outcomes(self, month: date, total_crimes: int) -> list[tuple]:
        """A month's crime outcomes: [(area_code, month, crime_group, scheme, outcome_code, count)], only
        outcome types in use that month."""
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
        """A quarter's returns: the force's surveys, offender and savings figures, each partnership's
        (with narrative from `narrative_from`) and the public data for the peer group."""
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
        made.append(return_send(self.force, start, end, records, decider=self.coordinator, arrived=-2))
        made.extend(self.csp_quarter(start, end, narrative_from=narrative_from))
        made.append(self.public_quarter(start, end))
        return made

    def csp_quarter(self, start: date, end: date, *, narrative_from: date) -> list[Return]:
        """Each partnership's quarterly return; in the last quarter one is missing, one awaits a
        decision, one is rejected and one arrived late, as the tracker shows them."""
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
            ret = return_send(
                submitter,
                start,
                end,
                records,
                narrative=narrative,
                accept=accept,
                decider=self.coordinator,
                arrived=arrived,
            )
            if last_quarter and index == 2:
                return_reject(
                    ret=ret,
                    user=self.coordinator,
                    reason="Cohort size does not match the probation data; please check and resubmit.",
                )
                return_stamp(
                    ret,
                    uploaded=working_days_before(return_due(end), 3),
                    decided=working_days_before(return_due(end), 1),
                )
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
        return return_send(self.public, start, end, records, decider=self.coordinator, arrived=-1)

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
        return return_send(
            self.force,
            date(2014, 5, 1),
            date(2014, 5, 31),
            records,
            outcomes=outcomes,
            decider=self.coordinator,
            arrived=30,
        )


def populations_back_project(areas) -> None:
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
