"""reports.charts: figures as dicts, titles with units and snapshot, summaries, tables equal to the data."""

import datetime as dt
import json
import re
from types import SimpleNamespace

import pytest

from reports.charts.base import figure_data
from reports.charts.csp import fig_csp
from reports.charts.measure import measure_charts
from reports.charts.msg import fig_msg
from reports.charts.outcomes import fig_outcomes
from reports.charts.savings import fig_savings
from reports.charts.style import SIGNAL_STYLE
from reports.charts.survey import fig_survey
from reports.charts.trend import fig_trend
from reports.tests.factories import measure_payload, outcomes_payload, trend_points

AS_OF = dt.date(2014, 5, 31)


class _Priorities:
    def all(self):
        return [SimpleNamespace(number=10)]


def _measure(
    code="all_crime", *, unit="count", direction="down", under_reported=False, frequency="monthly", msg_comparable=True
):
    return SimpleNamespace(
        code=code,
        title=code.replace("_", " ").capitalize(),
        unit=unit,
        direction=direction,
        under_reported=under_reported,
        restricted=False,
        frequency=frequency,
        msg_comparable=msg_comparable,
        definition="d",
        method="m",
        caveats="c",
        priorities=_Priorities(),
    )


@pytest.fixture
def crime():
    return measure_payload(_measure(), as_of=AS_OF, points=24)


def _assert_plain(figure):
    assert set(figure) >= {"data", "layout", "config"}
    # No mode bar: its buttons would be interactive content inside role="img" (axe nested-interactive).
    assert figure["config"] == {"displaylogo": False, "displayModeBar": False, "responsive": True}
    json.dumps(figure)  # JSON-ready: no numpy, no dates
    assert "title" not in figure["layout"] or not figure["layout"]["title"].get("text")


def test_fig_trend_returns_plain_figure_with_units_snapshot_and_table(crime):
    chart = fig_trend(measure=crime["measure"], trend=crime["trend"], as_of=AS_OF, annotations=crime["annotations"])
    _assert_plain(chart.figure)
    assert "Data as at 31 May 2014" in chart.title and "number per month" in chart.title
    assert "per month" in chart.figure["layout"]["yaxis"]["title"]["text"]
    assert chart.figure["layout"]["xaxis"]["title"]["text"]
    last = crime["trend"]["points"][-1]
    assert f"{last['value']:,.0f}" in chart.summary and "May 2014" in chart.summary
    values = chart.figure["data"][0]["y"]
    assert [row[2] for row in chart.table_rows] == values == [p["value"] for p in crime["trend"]["points"]]
    assert [row[1] for row in chart.table_rows] == chart.figure["data"][0]["x"]
    # 2-sigma lines dotted, limits dashed, an annotation as a vertical line with its label
    dashes = {t["name"]: t["line"].get("dash") for t in chart.figure["data"] if t.get("mode") == "lines"}
    assert dashes["2-sigma lines"] == "dot" and dashes["Process limits"] == "dash"
    assert any(s["type"] == "line" for s in chart.figure["layout"]["shapes"])
    assert any(a["text"] == "Recording practice changed" for a in chart.figure["layout"]["annotations"])


def test_fig_trend_signals_are_coloured_and_symbol_coded_with_words(crime):
    chart = fig_trend(measure=crime["measure"], trend=crime["trend"], as_of=AS_OF)
    markers = {t["name"]: t["marker"] for t in chart.figure["data"] if t.get("mode") == "markers"}
    assert "Special cause: improvement" in markers  # the factory's series ends with a step down
    for name, marker in markers.items():
        style = next(s for s in SIGNAL_STYLE.values() if s["label"] == name)
        assert marker["color"] == style["colour"] and marker["symbol"] == style["symbol"]
    assert len({s["symbol"] for s in SIGNAL_STYLE.values()}) == len(SIGNAL_STYLE)
    assert len({s["colour"] for s in SIGNAL_STYLE.values()}) == len(SIGNAL_STYLE)
    assert "improvement" in chart.summary


def test_fig_trend_under_reported_never_improvement_or_concern():
    payload = measure_payload(
        _measure("hate_crime", direction="neither", under_reported=True, msg_comparable=False), as_of=AS_OF
    )
    for point in payload["trend"]["points"][-3:]:
        point["signal"] = "concern"  # even a payload that says so is drawn neutral
    chart = fig_trend(measure=payload["measure"], trend=payload["trend"], as_of=AS_OF)
    names = {t["name"] for t in chart.figure["data"]}
    assert "Special cause: improvement" not in names and "Special cause: concern" not in names
    assert "Special cause: no good direction" in names
    assert "concern" not in chart.summary and all("concern" not in row[8] for row in chart.table_rows)


def test_fig_trend_few_points_labels_limits_provisional():
    points = trend_points([10.0, 12.0, 11.0, 13.0, 12.0], end=AS_OF, direction="down")
    chart = fig_trend(
        measure={"title": "Burglary", "unit": "count", "frequency": "monthly"}, trend={"points": points}, as_of=AS_OF
    )
    assert any("provisional" in t["name"] for t in chart.figure["data"])
    assert "provisional" in chart.summary


def test_fig_msg_sorted_force_highlighted_by_colour_pattern_and_label(crime):
    chart = fig_msg(measure=crime["measure"], msg=crime["msg"], as_of=AS_OF)
    _assert_plain(chart.figure)
    bar = chart.figure["data"][0]
    assert bar["x"] == sorted(bar["x"])
    force = bar["y"].index("Leicestershire<br>(this force)")
    assert bar["marker"]["pattern"]["shape"][force] == "/"
    assert len(set(bar["marker"]["color"])) == 2
    assert [row[6] for row in chart.table_rows] == bar["x"]
    shapes = chart.figure["layout"]["shapes"]
    assert any(s["type"] == "rect" for s in shapes) and any(s["type"] == "line" for s in shapes)
    average = crime["msg"]["summary"]["average"]
    assert f"{average:.2f}" in chart.summary and "ranked" in chart.summary
    assert "rate per 1,000" in chart.title and "Data as at 31 May 2014" in chart.title


def test_fig_csp_small_multiples_one_per_area(crime):
    chart = fig_csp(measure=crime["measure"], csp=crime["csp"], as_of=AS_OF)
    _assert_plain(chart.figure)
    assert len(chart.figure["data"]) == len(crime["csp"]) == 5
    assert len({t["xaxis"] for t in chart.figure["data"]}) == 5  # each in its own panel
    assert len(chart.table_rows) == sum(len(a["points"]) for a in crime["csp"])
    assert [r[3] for r in chart.table_rows[:24]] == chart.figure["data"][0]["y"]
    assert "Rutland" in chart.summary


def test_fig_survey_has_wilson_error_bars():
    payload = measure_payload(
        _measure("victim_satisfaction", unit="percentage", direction="up", frequency="quarterly", msg_comparable=False),
        as_of=AS_OF,
        points=8,
    )
    chart = fig_survey(measure=payload["measure"], trend=payload["trend"], as_of=AS_OF)
    _assert_plain(chart.figure)
    trace = chart.figure["data"][0]
    last = payload["trend"]["points"][-1]
    assert trace["error_y"]["array"][-1] == pytest.approx(last["ci_high"] - last["value"])
    assert trace["error_y"]["arrayminus"][-1] == pytest.approx(last["value"] - last["ci_low"])
    assert f"{last['ci_low']:.1f}%" in chart.summary and "900 respondents" in chart.summary
    assert [r[2] for r in chart.table_rows] == trace["y"]
    assert "Percentage" in chart.figure["layout"]["yaxis"]["title"]["text"]


def test_fig_savings_challenge_line_never_a_target():
    payload = measure_payload(
        _measure("revenue_savings", unit="pounds", direction="up", frequency="quarterly", msg_comparable=False),
        as_of=AS_OF,
        points=8,
    )
    challenge = [{"name": "savings challenge", "value": 20_000_000}]  # the office's, from the plan file
    chart = fig_savings(measure={**payload["measure"], "context": challenge}, trend=payload["trend"], as_of=AS_OF)
    _assert_plain(chart.figure)
    text = json.dumps(chart.figure).lower() + chart.title.lower() + chart.summary.lower()
    assert "challenge" in text and "target" not in text
    assert chart.figure["layout"]["shapes"][0]["y0"] == 20_000_000
    assert "£4m" in chart.summary and "20% of the £20m savings challenge" in chart.summary
    assert "£" in chart.figure["layout"]["yaxis"]["title"]["text"]


def test_fig_savings_without_a_challenge_draws_the_total_alone():
    payload = measure_payload(
        _measure("revenue_savings", unit="pounds", direction="up", frequency="quarterly", msg_comparable=False),
        as_of=AS_OF,
        points=8,
    )
    chart = fig_savings(measure=payload["measure"], trend=payload["trend"], as_of=AS_OF)
    assert not chart.figure["layout"].get("shapes") and "challenge" not in chart.summary + chart.title
    assert len(chart.table_header) == 3


def _channels(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_fig_outcomes_groups_in_code_order_neutral_palette():
    outcomes = outcomes_payload(as_of=AS_OF)
    outcomes["outcome_types"].reverse()  # the payload order must not matter: the code order does
    chart = fig_outcomes(outcomes=outcomes, as_of=AS_OF)
    _assert_plain(chart.figure)
    names = [t["name"] for t in chart.figure["data"]]
    # Home Office outcome groups, in the order of their first outcome code; the two cautions are one group.
    assert names == ["Charge", "Caution", "Out of court (informal)", "Evidential difficulties", "No suspect"]
    styles = [(t["marker"]["color"], t["marker"]["pattern"]["shape"]) for t in chart.figure["data"]]
    assert len(set(styles)) == len(styles)  # no two series look alike
    for colour, _pattern in styles:  # greys only: no red or green cast, channels within 20 of each other
        r, g, b = _channels(colour)
        assert max(r, g, b) - min(r, g, b) <= 20 and r <= b and g <= b
    assert chart.figure["layout"]["barmode"] == "stack"
    # The legend sits under the plot, so it never narrows it.
    assert chart.figure["layout"]["legend"]["orientation"] == "h"
    assert chart.table_header[1] == "Charge" and chart.table_header[-1] == "Total"
    first = chart.table_rows[0]
    assert first[1:-1] == [t["y"][0] for t in chart.figure["data"]] and first[-1] == sum(first[1:-1])
    assert "May 2014" in chart.summary and "no outcome ranks above another" in chart.summary
    share = fig_outcomes(outcomes=outcomes, as_of=AS_OF, share=True)
    assert sum(share.table_rows[0][1:]) == pytest.approx(100, abs=0.5)


def test_fig_outcomes_table_names_months_in_words():
    outcomes = outcomes_payload(as_of=AS_OF)
    for share in (False, True):
        rows = fig_outcomes(outcomes=outcomes, as_of=AS_OF, share=share).table_rows
        assert rows[-1][0] == "May 2014" and rows[-2][0] == "April 2014"
        assert not any(re.search(r"\d{4}-\d{2}", row[0]) for row in rows)


def _outcomes_in_groups(groups: int) -> dict:
    """The outcomes payload with `groups` outcome groups ("Group 1"…), each of one outcome type
    counted 100 − i in the last month, so the groups are in size order."""
    outcomes = outcomes_payload(as_of=AS_OF)
    month = outcomes["months"][-1]
    outcomes["outcome_types"] = [
        {"scheme": "home_office", "code": str(i), "name": f"Type {i}", "outcome_group": f"Group {i}", "order": i}
        for i in range(1, groups + 1)
    ]
    outcomes["counts"] = [
        {"scheme": "home_office", "month": month, "crime_group": "All crime", "outcome_code": str(i), "count": 100 - i}
        for i in range(1, groups + 1)
    ]
    return outcomes


def test_fig_outcomes_at_most_eight_distinct_series():
    # Twelve outcome groups with outcomes: the four smallest are drawn together, named in a note.
    chart = fig_outcomes(outcomes=_outcomes_in_groups(12), as_of=AS_OF)
    names = [t["name"] for t in chart.figure["data"]]
    assert names == [f"Group {i}" for i in range(1, 8)] + ["Other outcome groups"]
    assert len({(t["marker"]["color"], t["marker"]["pattern"]["shape"]) for t in chart.figure["data"]}) == 8
    assert chart.table_rows[-1][-2] == sum(100 - i for i in range(8, 13))
    assert chart.notes == ["Other outcome groups: Group 8, Group 9, Group 10, Group 11, Group 12."]


def test_no_targets_anywhere(crime):
    for chart in measure_charts(crime, as_of=AS_OF):
        assert "target" not in json.dumps(chart.figure).lower() + chart.summary.lower() + chart.title.lower()


def test_figure_data_converts_numpy():
    import numpy as np
    import plotly.graph_objects as go

    data = figure_data(go.Figure(go.Scatter(x=np.arange(3), y=np.array([1.5, 2.5, 3.5]))))
    assert data["data"][0]["y"] == [1.5, 2.5, 3.5]


# --- Layout at 320 CSS px and contrast (WCAG 1.4.10 reflow, 1.4.11 non-text contrast) -----------


def _contrast(hex_colour: str, against: str = "#ffffff") -> float:
    """WCAG 2.x contrast ratio of two sRGB colours (relative luminance, (L1 + 0.05) / (L2 + 0.05))."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(hex_colour), luminance(against)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_hand_worked_values():
    assert _contrast("#000000") == pytest.approx(21.0)
    assert _contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the usual 4.5:1 grey


def test_fig_trend_long_title_stays_in_caption_not_on_axis(crime):
    long_title = "Number of first-time entrants to the youth justice system aged 10 to 17"
    measure = {**crime["measure"], "title": long_title}
    chart = fig_trend(measure=measure, trend=crime["trend"], as_of=AS_OF)
    assert chart.figure["layout"]["yaxis"]["title"]["text"] == "Number per month"
    assert long_title in chart.title


def test_fig_msg_top_value_label_not_clipped_and_band_has_visible_edge(crime):
    chart = fig_msg(measure=crime["measure"], msg=crime["msg"], as_of=AS_OF)
    bar = chart.figure["data"][0]
    layout = chart.figure["layout"]
    # "77.09" sits past the longest bar: drawn outside the plot area, in a right margin wide enough.
    assert bar["textposition"] == "outside" and bar["cliponaxis"] is False
    assert layout["margin"]["r"] >= 60
    band = next(s for s in layout["shapes"] if s["type"] == "rect")
    assert band["line"]["width"] >= 1 and _contrast(band["line"]["color"]) >= 3
    # Every bar has an edge of at least 1 px that stands out 3:1 from the white background.
    assert min(bar["marker"]["line"]["width"]) >= 1 and _contrast(bar["marker"]["line"]["color"]) >= 3


def test_msg_and_trend_legends_sit_below_the_axis_and_wrap(crime):
    charts = [
        fig_msg(measure=crime["measure"], msg=crime["msg"], as_of=AS_OF),
        fig_trend(
            measure=crime["measure"],
            trend={"points": trend_points([1.0, 2.0, 3.0], end=AS_OF, direction="down")},
            as_of=AS_OF,
        ),
    ]
    for chart in charts:
        legend = chart.figure["layout"]["legend"]
        # Measured from the chart's bottom edge, so a legend that wraps pushes the margin, not the axis.
        assert (legend["yref"], legend["y"], legend["yanchor"]) == ("container", 0, "bottom")
        names = [t.get("name") or "" for t in chart.figure["data"]] + [
            s.get("name") or "" for s in chart.figure["layout"].get("shapes", [])
        ]
        assert names and all(len(line) <= 32 for name in names for line in name.split("<br>")), names


def test_fig_csp_long_area_names_wrap_in_two_columns(crime):
    csp = [{**crime["csp"][0], "name": "North West Leicestershire"}, *crime["csp"][1:]]
    chart = fig_csp(measure=crime["measure"], csp=csp, as_of=AS_OF)
    titles = [a["text"] for a in chart.figure["layout"]["annotations"]]
    assert titles[0] == "North West<br>Leicestershire"
    assert all(len(line) <= 14 for title in titles for line in title.split("<br>"))
    assert {t["xaxis"] for t in chart.figure["data"]} == {"x", "x2", "x3", "x4", "x5"}
    assert chart.figure["layout"]["xaxis3"]["domain"] == chart.figure["layout"]["xaxis"]["domain"]  # 2 columns


def test_fig_outcomes_neighbours_differ_in_pattern_and_bars_have_a_dark_edge():
    bars = fig_outcomes(outcomes=_outcomes_in_groups(8), as_of=AS_OF).figure["data"]
    assert len(bars) == 8
    for below, above in zip(bars, bars[1:], strict=False):
        # Stacked neighbours: a different pattern, or colours 3:1 apart (WCAG 1.4.11).
        patterns = below["marker"]["pattern"]["shape"], above["marker"]["pattern"]["shape"]
        assert patterns[0] != patterns[1] or _contrast(below["marker"]["color"], above["marker"]["color"]) >= 3
    for bar in bars:
        # The lightest grey is 1.5:1 on white: the edge is what stands out from the background.
        assert bar["marker"]["line"]["width"] >= 1 and _contrast(bar["marker"]["line"]["color"]) >= 3


def test_fig_msg_average_line_lies_under_the_bars_value_labels(crime):
    chart = fig_msg(measure=crime["measure"], msg=crime["msg"], as_of=AS_OF)
    [average] = [s for s in chart.figure["layout"]["shapes"] if s["type"] == "line"]
    assert average["layer"] == "below"  # plotly draws the bars' text over it


def test_fig_trend_has_room_round_its_points_on_page_and_paper(crime):
    """The first and last points, and the highest and lowest line, stay clear of the plot's frame."""
    import datetime as dt
    import re

    from pcc_dashboard.svg import figure_svg

    chart = fig_trend(measure=crime["measure"], trend=crime["trend"], as_of=AS_OF)
    layout = chart.figure["layout"]
    values = [v for t in chart.figure["data"] for v in t.get("y") or [] if isinstance(v, (int, float))]
    low, high = layout["yaxis"]["range"]
    assert low < min(values) and high > max(values)
    ends = [p["period_end"] for p in crime["trend"]["points"]]
    first, last = (dt.date.fromisoformat(d[:10]) for d in layout["xaxis"]["range"])
    assert (dt.date.fromisoformat(ends[0]) - first).days >= 10 and (last - dt.date.fromisoformat(ends[-1])).days >= 10
    # On paper: the lines and points start and end well inside the frame.
    svg = figure_svg(chart.figure, title=chart.title)
    axes = re.findall(r'<line x1="([\d.]+)" x2="\1" y1="[\d.]+" y2="[\d.]+" stroke="#505a5f"/>', svg)
    frame_left = min(float(x) for x in axes)
    xs = [
        float(x)
        for points in re.findall(r'<polyline points="([^"]+)"', svg)
        for x, _ in (p.split(",") for p in points.split())
    ]
    assert xs and min(xs) > frame_left + 8
