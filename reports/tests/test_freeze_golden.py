"""The freeze's stored statistics are unchanged by its optimisations: payloads equal a recorded output.

`data/freeze_golden.json` holds, for every payload key built from `freeze_inputs_sample`, the
measure code and the SHA-256 of its canonical JSON as the code produced it before the array
paths (msg_comparison_arrays, text storage) replaced the pandas ones. Any change to a figure,
a key, rounding or ordering changes a hash.
"""

import hashlib
import json
from pathlib import Path

from reports.freeze import canonical_json
from reports.payloads.measures import build_measure_payloads
from reports.tests.freeze_inputs_sample import sample_inputs

GOLDEN = Path(__file__).parent / "data" / "freeze_golden.json"


def _hashes(results: dict) -> dict:
    return {
        key: [code, hashlib.sha256(canonical_json(payload).encode()).hexdigest()]
        for key, (code, payload) in sorted(results.items())
    }


def test_freeze_payloads_equal_the_recorded_output():
    results, overview = build_measure_payloads(sample_inputs())
    results["overview"] = ("", overview)
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = {key: value for key, value in _hashes(results).items() if not key.startswith("measure_recent:")}
    assert sorted(got) == sorted(expected)
    assert [key for key in expected if got[key] != expected[key]] == []


def test_freeze_sample_reaches_every_payload_path():
    results, _ = build_measure_payloads(sample_inputs())
    all_crime = results["measure:all_crime"][1]
    assert all_crime["msg"]["summary"]["group_size"] == 5
    assert any(not m["included"] for m in results["measure:asb"][1]["msg"]["members"])
    assert results["measure:detections"][1]["trend"]["granularity"] == "month"
    assert results["measure:confidence"][1]["change"]["test"] == "two_proportion_z"
    assert results["measure:empty"][1]["trend"]["points"] == []
    assert len([key for key in results if key.startswith("msg:")]) == 48
