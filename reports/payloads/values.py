"""JSON-ready values for payloads: floats rounded once, NaN as None, numpy types as Python's."""

from __future__ import annotations

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
