"""Static SVG of chart figures for paper (pcc_dashboard/svg.py): what a reader of the PDF sees."""

import re

from pcc_dashboard.svg import figure_svg
from reports.charts.outcomes import fig_outcomes
from reports.tests.factories import outcomes_payload


def _figure(data, **layout):
    return {"data": data, "layout": {"xaxis": {"title": {"text": "Period ending"}}, **layout}}


def test_svg_draws_lines_markers_and_a_legend_in_words():
    figure = _figure(
        [
            {"type": "scatter", "mode": "lines", "name": "Mean", "x": ["2014-01-31", "2014-02-28"], "y": [5, 5],
             "line": {"color": "#505a5f", "dash": "dash"}},
            {"type": "scatter", "mode": "markers", "name": "Special cause: concern <high>",
             "x": ["2014-01-31", "2014-02-28"], "y": [4, 9], "marker": {"color": "#b14b00", "symbol": "square"}},
        ]
    )  # fmt: skip
    svg = figure_svg(figure, title="All crime (number per month). Data as at 28 February 2014")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title>All crime (number per month). Data as at 28 February 2014</title>" in svg
    assert svg.count('stroke-dasharray="6 4"') >= 2  # the dashed mean, in the plot and in the legend
    assert svg.count('fill="#b14b00"') == 3  # two squares and the legend's
    assert "Special cause: concern &lt;high&gt;" in svg  # text is escaped
    assert "Period ending" in svg and ("Jan 2014" in svg or "Feb 2014" in svg)


def test_svg_line_has_a_gap_where_a_period_was_not_returned():
    figure = _figure(
        [{"type": "scatter", "mode": "lines", "x": ["2014-01-31", "2014-02-28", "2014-03-31", "2014-04-30"],
          "y": [1, 2, None, 4]}]
    )  # fmt: skip
    lines = re.findall(r'<polyline points="([^"]+)"', figure_svg(figure))
    assert [len(points.split()) for points in lines] == [2]  # January–February; April alone draws no line


def test_svg_of_outcomes_has_a_distinct_fill_per_group_and_unique_pattern_ids():
    outcomes = outcomes_payload(as_of="2014-05-31")
    first = fig_outcomes(outcomes=outcomes, as_of="2014-05-31")
    second = fig_outcomes(outcomes=outcomes, as_of="2014-05-31", share=True)
    one, two = figure_svg(first.figure, title=first.title), figure_svg(second.figure, title=second.title)
    for name in first.table_header[1:-1]:
        assert name in one
    ids_one = set(re.findall(r'<pattern id="([^"]+)"', one))
    ids_two = set(re.findall(r'<pattern id="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two  # two charts on one page never share a hatch


def test_line_breaks_the_page_needs_are_one_line_on_paper():
    figure = {
        "data": [{"type": "bar", "orientation": "h", "x": [60.1, 70.2], "y": ["Kent", "Leicestershire<br>(this force)"]}],
        "layout": {"xaxis": {"title": {"text": "Rate per 1,000<br>population"}}},
    }
    svg = figure_svg(figure, title="MSG")
    assert "Leicestershire (this force)" in svg and "Rate per 1,000 population" in svg
    assert "&lt;br&gt;" not in svg


def test_bar_value_labels_sit_on_a_white_box_over_a_reference_line():
    """The group average's dashed line crosses the bars' value labels: a white box under each label
    keeps the line from striking through the figure."""
    figure = {
        "data": [{"type": "bar", "orientation": "h", "x": [60.1, 70.2], "y": ["Kent", "Surrey"], "text": ["60.10", "70.20"]}],
        "layout": {"shapes": [{"type": "line", "xref": "x", "yref": "paper", "x0": 63, "x1": 63, "y0": 0, "y1": 1,
                               "line": {"dash": "dash"}}]},
    }  # fmt: skip
    svg = figure_svg(figure, title="MSG")
    line_at = svg.index('stroke-dasharray="6 4"')
    for label in ("60.10", "70.20"):
        at = svg.index(f">{label}</text>")
        box = svg.rindex('<rect x="', 0, at)
        assert line_at < box and 'fill="#ffffff"' in svg[box:at]
