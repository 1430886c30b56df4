"""The freeze's text path (measure_payload_texts, json_rows, Results with ContentDigest) writes the
same bytes as serialising the payload objects build_measure_payloads makes."""

import math

import numpy as np
import pandas as pd
import pytest

from reports.freeze import ContentDigest, Results, canonical_json, content_digest
from reports.payloads import series as series_module
from reports.payloads.measures import build_measure_payloads, measure_payload_texts
from reports.payloads.values import json_rows, records
from reports.tests.freeze_inputs_sample import sample_inputs


@pytest.mark.parametrize("seed,group", [(8, 64), (2, 64), (8, 2)])
def test_measure_payload_texts_equal_the_payload_objects(seed, group, monkeypatch):
    monkeypatch.setattr(series_module, "SERIES_GROUP", group)  # 2: several groups per measure
    results, overview = build_measure_payloads(sample_inputs(seed))
    keyed, overview_too, series = measure_payload_texts(sample_inputs(seed))
    texts = list(series)
    assert [key for key, _, _ in texts] == sorted(key for key in results if key.startswith("series:"))
    assert [(key, code, text) for key, code, text in texts] == [
        (key, results[key][0], canonical_json(results[key][1])) for key, _, _ in texts
    ]
    assert {key: (code, canonical_json(p)) for key, (code, p) in keyed.items()} == {
        key: (code, canonical_json(p)) for key, (code, p) in results.items() if not key.startswith("series:")
    }
    assert canonical_json(overview_too) == canonical_json(overview)


def test_json_rows_write_what_records_serialise_to():
    frame = pd.DataFrame(
        {
            "value": [1.0, -0.0, math.nan, math.inf, 0.000123456, 2.5],
            "mean": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
            "lower": [0.123456789, -0.5555555, 0.123456789, 12.3456789, math.nan, 1e-9],
            "respondents": [math.nan, 12.0, 12.0, 0.0, math.nan, 7.0],
            "count": np.array([1, 2, 3, 4, 5, 6], dtype="int64"),
            "flag": [True, False, True, True, False, False],
            "signal": [None, "concern", "concern", None, "improvement", 'a "quoted" é'],
            "mixed": [None, 1, "1", 2.5, math.nan, pd.Timestamp("2024-01-31")],
        }
    )
    keys = ["value", "mean", "lower", "respondents", "count", "flag", "signal", "mixed", "missing"]
    assert json_rows(frame, keys) == [canonical_json(row) for row in records(frame, keys)]
    assert json_rows(frame.iloc[0:0], keys) == []


def test_results_in_key_order_feed_the_digest_as_content_digest_reads_them():
    observations = pd.DataFrame(
        {
            "measure_code": ["m"],
            "area_code": ["a"],
            "period_start": ["2024-01-01"],
            "period_end": ["2024-01-31"],
            "value": [1.5],
            "numerator": [math.nan],
            "denominator": [math.nan],
            "respondents": [math.nan],
            "return_id": [3],
        }  # fmt: skip
    )
    keyed = {"b": ("m", {"x": [1, 2]}), "overview": ("", {"measures": []})}
    series = iter([("series:m:a", "m", '{"points":[]}'), ("series:m:b", "m", '{"points":[1]}')])
    digest = ContentDigest(observations, metadata={"as_of": "2024-01-31"})
    results = Results(keyed, series, digest)
    rows = list(results)
    assert [key for key, _, _ in rows] == ["b", "overview", "series:m:a", "series:m:b"] and len(results) == 4
    expected = content_digest(
        observations, [(key, text) for key, _, text in rows], texts={k: t for k, _, t in rows},
        metadata={"as_of": "2024-01-31"},
    )  # fmt: skip
    assert digest.hexdigest() == expected


def test_results_refuse_a_key_twice():
    results = Results({"series:m:a": ("m", {})}, iter([("series:m:a", "m", "{}")]))
    with pytest.raises(ValueError, match="key order"):
        list(results)
