"""Test factories for snapshot payloads (reports/PAYLOADS.md) and frozen snapshots; import from here.

`payloads` builds measure payloads, realistic (the analysis code's) or steady (plain arithmetic for exact
assertions); `snapshots` builds outcomes payloads and stores frozen snapshots of either kind.
"""

from reports.tests.factories.payloads import (
    CSP_AREAS,
    FORCE,
    MSG_FORCES,
    measure_block,
    measure_payload,
    month_ends,
    msg_block,
    overview_entry,
    single_limits,
    steady_points,
    synthetic_values,
    trend_points,
)
from reports.tests.factories.snapshots import outcomes_payload, snapshot_make, snapshot_with_results

__all__ = [
    "CSP_AREAS",
    "FORCE",
    "MSG_FORCES",
    "measure_block",
    "measure_payload",
    "month_ends",
    "msg_block",
    "outcomes_payload",
    "overview_entry",
    "single_limits",
    "snapshot_make",
    "snapshot_with_results",
    "steady_points",
    "synthetic_values",
    "trend_points",
]
