"""Charts for frozen snapshot payloads: plotly figures as plain dicts (the one package that imports plotly).

Each `fig_*` takes plain payload dicts (reports/PAYLOADS.md) and returns a `Chart` (base.py): the
figure as a JSON-ready dict for static/js/charts.js, a title with units and the snapshot, an
accessible plain-English summary with the key numbers, and the table behind the chart (the same
numbers the figure draws), which the page shows under "Show as table" and the downloads export.
No targets anywhere; under-reported measures never get improvement or concern.

One module per job:
    style.py     colours, symbols, font, layout, legend wrapping: the one shared look
    words.py     snapshot labels, months, periods and units in words
    base.py      the Chart, the plotly figure as plain data, the snapshot's title and file name
    trend.py     the SPC (XmR) trend chart       msg.py       the Most Similar Group comparison
    forces.py    the position among all forces   csp.py       small multiples per partnership area
    survey.py    survey percentages with intervals
    savings.py   a running total against the office's challenge
    outcomes.py  monthly crime outcomes by outcome group
    measure.py   every chart of a measure's page, in page order
"""
