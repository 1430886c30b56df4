"""JSON-ready values for payloads: floats rounded once, NaN as None, numpy types as Python's."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from reports.analysis import plain
from reports.analysis.columns import RESPONDENTS


def _round(values: np.ndarray) -> np.ndarray:
    """4 decimals, or 4 significant figures below 1 (as reports.analysis.plain does)."""
    out = np.round(values, 4)
    small = np.isfinite(values) & (values != 0) & (np.abs(values) < 1)
    if small.any():
        out[small] = [float(f"{v:.4g}") for v in values[small]]
    return out


def json_floats(values: np.ndarray) -> list:
    """A float array as a JSON-ready list: each value rounded as reports.analysis.plain rounds (4
    decimals, or 4 significant figures below 1) as a Python float, NaN → None; one object-array pass."""
    rounded = _round(values)
    out = rounded.astype(object)
    out[np.isnan(rounded)] = None
    return out.tolist()


def json_numbers(values: np.ndarray) -> list:
    """A numeric array as `point_columns` writes such a column: an integer array as Python ints; any
    other as floats rounded as json_floats does, NaN → None."""
    if values.dtype.kind in "iu":
        return [int(v) for v in values.tolist()]
    return json_floats(values.astype(float))


def point_columns(frame: pd.DataFrame, keys: list[str]) -> dict[str, list]:
    """{key: the column as a JSON-ready list} for each key (a key the frame lacks gives Nones).

    Floats are rounded as json_floats does, NaN → None; respondents as ints; ints and booleans as
    Python's; strings and None as they are; anything else through reports.analysis.plain.
    """
    columns = {}
    for key in keys:
        if key not in frame:
            columns[key] = [None] * len(frame)
            continue
        series = frame[key]
        if key == RESPONDENTS and series.dtype.kind == "f":
            columns[key] = [None if math.isnan(v) else int(v) for v in series.tolist()]
        elif series.dtype.kind == "f":
            columns[key] = json_floats(series.to_numpy(dtype=float))
        elif series.dtype.kind in "iu" and not series.hasnans:
            columns[key] = [int(v) for v in series.tolist()]
        elif series.dtype.kind == "b":
            columns[key] = [bool(v) for v in series.tolist()]
        else:
            values = series.tolist()
            # Period dates are ISO strings already and signals/rules are str or None: no plain() per value.
            if all(v is None or type(v) is str for v in values):
                columns[key] = values
            else:
                columns[key] = [plain(v) for v in values]
    return columns


def records(frame: pd.DataFrame, keys: list[str]) -> list[dict]:
    """The frame's rows as dicts of `keys` (values as point_columns writes them); [] for an empty frame."""
    if not len(frame):
        return []
    columns = point_columns(frame, keys)
    return [dict(zip(keys, row)) for row in zip(*(columns[k] for k in keys))]


def json_text(value) -> str:
    """The canonical JSON text of a value: sorted keys, no spaces, UTF-8 kept (as the freeze stores it)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _float_text(value: float) -> str:
    """A float as json writes it: repr, and NaN and the infinities by name."""
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _texts(values: np.ndarray, text, prepare=None) -> np.ndarray:
    """An object array of each value's JSON text, `text` applied once per distinct value (NA → null),
    after `prepare` (an elementwise array function, such as rounding) when given.

    Equal values share one text, so a float column holding both 0.0 and -0.0 (equal, but
    written differently) and an object column of anything but strings go value by value.
    """
    if values.dtype.kind == "f" and bool((np.signbit(values) & (values == 0)).any()):
        values = prepare(values) if prepare else values
        return np.array(["null" if v != v else text(v) for v in values.tolist()], dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if values.dtype.kind == "O" and not all(type(v) is str for v in uniques):
        return np.array([json_text(plain(v)) for v in values.tolist()], dtype=object)
    uniques = prepare(uniques) if prepare else uniques
    table = np.array([*(text(v) for v in uniques.tolist()), "null"], dtype=object)
    return table[codes]  # code -1 (NaN, None) takes the last entry, "null"


def json_text_columns(frame: pd.DataFrame, keys: list[str]) -> dict[str, np.ndarray]:
    """{key: each row's JSON text of the column} for each key: the text json writes for the value
    point_columns gives (a key the frame lacks gives null)."""
    columns = {}
    for key in keys:
        if key not in frame:
            columns[key] = np.full(len(frame), "null", dtype=object)
            continue
        series = frame[key]
        if key == RESPONDENTS and series.dtype.kind == "f":
            columns[key] = _texts(series.to_numpy(), lambda v: str(int(v)))
        elif series.dtype.kind == "f":
            columns[key] = _texts(series.to_numpy(dtype=float), _float_text, prepare=_round)
        elif series.dtype.kind in "iu" and not series.hasnans:
            columns[key] = _texts(series.to_numpy(), lambda v: str(int(v)))
        elif series.dtype.kind == "b":
            columns[key] = np.where(series.to_numpy(), "true", "false").astype(object)
        else:
            columns[key] = _texts(series.to_numpy(dtype=object), json_text)
    return columns


def json_rows(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """Each row of `frame` as the canonical JSON text of its `records` dict (keys sorted, no spaces)."""
    ordered = sorted(keys)
    columns = json_text_columns(frame, ordered)
    template = "{" + ",".join(json_text(key).replace("%", "%%") + ":%s" for key in ordered) + "}"
    return [template % row for row in zip(*(columns[key].tolist() for key in ordered))]
