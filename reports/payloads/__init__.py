"""A snapshot's payloads (reports/PAYLOADS.md): built once at the freeze, trimmed when read.

Freeze time (pure pandas, no database access; reports/freeze_reads.py loads the frames): `inputs`
prepares the observation frames, `series` runs SPC on every (measure, area) series, `msg`
compares the Most Similar Group, `measures` assembles each measure's payloads and the overview,
`outcomes` the outcomes payload, and `values` makes numbers JSON-ready. Read time: `window` cuts
a stored measure payload to what a page draws.
"""
