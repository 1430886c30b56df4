"""Deterministic national-scale return data in the product's template format.

At BENCH_SCALE=1 the national data set is 25 monthly count measures × 320 areas × 125 months
= exactly 1,000,000 observations, written as one return file (out/national.csv):

- measures: the plan's 8 monthly count measures plus 17 bench-only monthly count measures named
  after Home Office offence groups. The plan alone has 8 monthly measures; 8 × 343 areas × 120
  months is only 329,280 rows, so the extra measures are what makes "about a million" national
  observations (a national deployment would carry the offence groups too);
- areas: the 43 police force areas (fixtures/reference/police_force_areas.csv), Leicestershire's
  9 real CSPs (their own E22 codes, from the reference lookup) and 268 synthetic CSPs (GSS-like
  codes E0799xxxx / E0699xxxx) shared out among the other 42 forces: 320 areas in all;
- months: April 2014 to August 2024 (125 months, about ten years).

BENCH_SCALE shrinks the number of areas (never below the focus force, its CSPs and its MSG).
Pages use a separate small data set (`pages_frame`): the plan's own measures for one force, its
CSPs and its MSG forces over 12, 120 or 1,200 months.

Pure module: numpy, pandas and the product's pure returns.template, no Django. Run it alone from the
project folder: `python -m bench.generate`.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from returns.template import TEMPLATE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "out"))
REFERENCE = ROOT / "fixtures" / "reference"
SEED = 20140401
FOCUS_FORCE = "E23000021"  # Leicestershire, settings.PCC_FOCUS_FORCE
PLAN_MONTHLY = [
    "all_crime",
    "burglary_dwelling",
    "theft_of_motor_vehicle",
    "theft_from_motor_vehicle",
    "violence_with_injury",
    "domestic_abuse",
    "serious_sexual_offences",
    "hate_crime",
]
# Share of all crime, roughly as in the crime survey tables; only the order of magnitude matters.
PLAN_SHARES = [1.0, 0.05, 0.02, 0.05, 0.12, 0.10, 0.02, 0.015]
# Bench-only monthly count measures: Home Office offence groups (code, title, share of all crime).
BENCH_MEASURES = [
    ("ho_robbery_personal", "Robbery of personal property", 0.012),
    ("ho_robbery_business", "Robbery of business property", 0.002),
    ("ho_shoplifting", "Shoplifting", 0.07),
    ("ho_criminal_damage", "Criminal damage", 0.09),
    ("ho_arson", "Arson", 0.006),
    ("ho_public_order", "Public order offences", 0.08),
    ("ho_drug_trafficking", "Trafficking of drugs", 0.004),
    ("ho_drug_possession", "Possession of drugs", 0.025),
    ("ho_weapons_possession", "Possession of weapons offences", 0.008),
    ("ho_bicycle_theft", "Bicycle theft", 0.015),
    ("ho_theft_from_person", "Theft from the person", 0.02),
    ("ho_other_theft", "All other theft offences", 0.08),
    ("ho_stalking_harassment", "Stalking and harassment", 0.11),
    ("ho_violence_without_injury", "Violence without injury", 0.15),
    ("ho_homicide", "Homicide", 0.0001),
    ("ho_non_residential_burglary", "Non-residential burglary", 0.015),
    ("ho_misc_against_society", "Miscellaneous crimes against society", 0.012),
]
NATIONAL_MONTHS = 125
NATIONAL_START = date(2014, 4, 1)
NATIONAL_CSPS = 277  # Leicestershire's 9 real CSPs and 268 synthetic ones
MSG_FORCES = ["E23000026", "E23000028", "E23000030", "E23000027", "E23000032", "E23000019", "E23000033"]


def focus_csp_codes() -> list[str]:
    """The focus force's CSP areas by their own GSS codes (E22), as the product's reference data
    holds them (reference/lad_csp_pfa_lookup_2024.csv), sorted."""
    with open(REFERENCE / "lad_csp_pfa_lookup_2024.csv", encoding="utf-8", newline="") as handle:
        return sorted({row["csp_code"] for row in csv.DictReader(handle) if row["pfa_code"] == FOCUS_FORCE})


FOCUS_CSPS = focus_csp_codes()  # Leicestershire's 9 CSPs


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


@dataclass(frozen=True)
class BenchArea:
    code: str
    name: str
    kind: str  # "force" | "csp"
    parent: str | None
    population: int


def forces() -> list[dict]:
    with open(REFERENCE / "police_force_areas.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def national_areas(bench_scale: float | None = None) -> list[BenchArea]:
    """Areas in a fixed order: the focus force, its CSPs, its MSG, other forces, synthetic CSPs."""
    rng = np.random.default_rng(SEED)
    rows = forces()
    by_code = {row["area_code"]: row for row in rows}
    force_pop = {row["area_code"]: int(rng.integers(500_000, 3_000_000)) for row in rows}
    first = [FOCUS_FORCE, *MSG_FORCES]
    ordered = first + [row["area_code"] for row in rows if row["area_code"] not in first]
    areas = [BenchArea(code, by_code[code]["name"], "force", None, force_pop[code]) for code in ordered]
    leics = [
        BenchArea(code, f"Leicestershire CSP {code}", "csp", FOCUS_FORCE, int(rng.integers(40_000, 340_000)))
        for code in FOCUS_CSPS
    ]
    others = [code for code in ordered if code != FOCUS_FORCE]
    synthetic = []
    for i in range(NATIONAL_CSPS - len(FOCUS_CSPS)):
        parent = others[i % len(others)]
        prefix = "E0799" if i % 3 else "E0699"  # districts and unitary authorities
        synthetic.append(
            BenchArea(
                f"{prefix}{i:04d}",
                f"{by_code[parent]['name']} CSP {i // len(others) + 1}",
                "csp",
                parent,
                int(rng.integers(40_000, 340_000)),
            )
        )
    # The focus force, its CSPs and its MSG come first so every scale can draw its pages.
    everything = [areas[0], *leics, *areas[1:], *synthetic]
    wanted = round(len(everything) * (scale() if bench_scale is None else bench_scale))
    return everything[: max(1 + len(leics) + len(MSG_FORCES), wanted)]


def national_measures() -> list[tuple[str, float]]:
    return [*zip(PLAN_MONTHLY, PLAN_SHARES, strict=True), *[(code, share) for code, _, share in BENCH_MEASURES]]


def month_starts(start: date, months: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start), periods=months, freq="MS")


def _counts(rng: np.random.Generator, levels: np.ndarray, months: int) -> np.ndarray:
    """Poisson counts with seasonality, a slow trend and a step change: shape (series, months)."""
    t = np.arange(months)
    season = 1 + 0.08 * np.sin(2 * np.pi * (t - 2) / 12)
    trend = 1 + 0.002 * (t - months / 2) / max(months / 120, 1)
    step = np.where(t >= int(months * 0.7), 1.06, 1.0)  # a recording-practice change
    lam = levels[:, None] * (season * trend * step)[None, :]
    return rng.poisson(lam)


def national_frame(bench_scale: float | None = None) -> pd.DataFrame:
    """The national data set as template rows (strings), ordered by month, measure and area."""
    rng = np.random.default_rng(SEED + 1)
    areas = national_areas(bench_scale)
    measures = national_measures()
    # All crime per month ≈ 6 per 1,000 residents.
    area_level = np.array([a.population * 0.006 for a in areas])
    shares = np.array([share for _, share in measures])
    levels = (shares[:, None] * area_level[None, :]).ravel()  # series = measure-major, area-minor
    counts = _counts(rng, levels, NATIONAL_MONTHS)  # (measures*areas, months)
    starts = month_starts(NATIONAL_START, NATIONAL_MONTHS)
    n_series = len(levels)
    # Row order: month, then measure, then area (one national return, month by month).
    month_idx = np.repeat(np.arange(NATIONAL_MONTHS), n_series)
    series_idx = np.tile(np.arange(n_series), NATIONAL_MONTHS)
    measure_codes = np.array([code for code, _ in measures], dtype=object)
    area_codes = np.array([a.code for a in areas], dtype=object)
    start_text = np.array([d.strftime("%Y-%m-%d") for d in starts], dtype=object)
    end_text = np.array([(d + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d") for d in starts], dtype=object)
    return pd.DataFrame(
        {
            "measure_code": measure_codes[series_idx // len(areas)],
            "area_code": area_codes[series_idx % len(areas)],
            "period_start": start_text[month_idx],
            "period_end": end_text[month_idx],
            "value": counts.T.ravel(),
            "numerator": "",
            "denominator": "",
            "respondents": "",
            "comment": "",
        },
        columns=list(TEMPLATE_COLUMNS),
    )


def write_national(path: Path | None = None, bench_scale: float | None = None) -> tuple[Path, int]:
    """Write the national return file; returns (path, rows). Same bytes for the same scale."""
    path = path or OUT / "national.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = national_frame(bench_scale)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path, len(frame)


# -- pages: the plan's own measures for one force over 12, 120 or 1,200 months ---------------
PAGES_QUARTERLY_FORCE = {
    # code: (unit, typical value) — the plan's quarterly measures reported by the force.
    "victim_satisfaction": ("percentage", 85.0),
    "asb_satisfaction": ("percentage", 80.0),
    "public_confidence": ("percentage", 60.0),
    "iom_cohort_offences": ("count", 300),
    "marac_referrals": ("count", 250),
    "revenue_savings": ("pounds", 1_500_000),
}
PAGES_QUARTERLY_CSP = {
    "youth_first_time_entrants": ("count", 20),
    "adult_reoffending_rate": ("percentage", 25.0),
    "youth_reoffending_rate": ("percentage", 35.0),
}


def pages_frame(*, months: int, as_of: date) -> pd.DataFrame:
    """Template rows (typed) for the focus force, its 9 CSPs and its MSG forces, ending at as_of.

    Monthly counts for every area; the force's and CSPs' quarterly measures by financial quarter.
    Dates may be long before 2000 at 1,200 months, so this frame is stored through return_submit
    without the upload parser (which rejects dates before 2000).
    """
    rng = np.random.default_rng(SEED + months)
    areas = national_areas(1.0)[: 1 + len(FOCUS_CSPS) + len(MSG_FORCES)]
    first = pd.Timestamp(as_of.replace(day=1)) - pd.DateOffset(months=months - 1)
    starts = pd.date_range(first, periods=months, freq="MS")
    ends = starts + pd.offsets.MonthEnd(0)
    parts = []
    for code, share in zip(PLAN_MONTHLY, PLAN_SHARES, strict=True):
        levels = np.array([a.population * 0.006 * share for a in areas])
        counts = _counts(rng, levels, months)
        for i, area in enumerate(areas):
            parts.append(
                pd.DataFrame(
                    {
                        "measure_code": code,
                        "area_code": area.code,
                        "period_start": starts.date,
                        "period_end": ends.date,
                        "value": counts[i].astype(float),
                    }
                )
            )
    # Financial quarters (April–June …) wholly inside the months.
    q_starts = starts[(starts.month % 3 == 1) & (starts >= first)]
    q_starts = q_starts[q_starts + pd.DateOffset(months=2) <= starts[-1]]
    q_ends = q_starts + pd.DateOffset(months=2) + pd.offsets.MonthEnd(0)
    for specs, quarter_areas in ((PAGES_QUARTERLY_FORCE, areas[:1]), (PAGES_QUARTERLY_CSP, areas[1:10])):
        for code, (unit, typical) in specs.items():
            for area in quarter_areas:
                n = len(q_starts)
                frame = pd.DataFrame(
                    {
                        "measure_code": code,
                        "area_code": area.code,
                        "period_start": q_starts.date,
                        "period_end": q_ends.date,
                    }
                )
                if unit == "percentage":
                    respondents = rng.integers(300, 900, n)
                    positive = rng.binomial(respondents, typical / 100)
                    frame["value"] = np.round(100 * positive / respondents, 1)
                    frame["numerator"] = positive.astype(float)
                    frame["denominator"] = respondents.astype(float)
                    frame["respondents"] = respondents
                else:
                    frame["value"] = rng.poisson(typical, n).astype(float)
                parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    frame["respondents"] = frame["respondents"].astype("Int64")  # whole numbers, NA when absent
    frame["comment"] = ""
    return frame[list(TEMPLATE_COLUMNS)]


if __name__ == "__main__":
    written, rows = write_national()
    print(f"wrote {rows:,} rows to {written} ({written.stat().st_size / 1e6:.1f} MB)")
