"""Pure statistics for the dashboard (pandas in, pandas or plain Python out; no Django)."""

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd


def plain(value, *, digits: int = 4):
    """Turn one pandas/numpy value into JSON-ready Python.

    NaN, NaT, pd.NA and infinities become None; dates and timestamps become ISO date
    strings (with the time only when it is not midnight); numpy scalars become int,
    float or bool; floats keep `digits` decimal places, or `digits` significant figures
    when smaller than 1 so that small p-values survive.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        if not math.isfinite(number):
            return None
        if number == 0 or abs(number) >= 1:
            return round(number, digits)
        return float(f"{number:.{digits}g}")
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v, digits=digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, digits=digits) for v in value]
    return value


def frame_records(frame: pd.DataFrame, *, digits: int = 4) -> list[dict]:
    """Turn a DataFrame into a list of JSON-ready dicts, one per row (see `plain`)."""
    return [
        {str(col): plain(val, digits=digits) for col, val in zip(frame.columns, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


def round_half_up(value: float | None, digits: int = 0) -> float | None:
    """`value` rounded once to `digits` decimals, halves away from zero, from its exact binary value.

    Python's round() sends exact halves to the even neighbour (10.5 → 10); people read 10.5 as 11.
    None and NaN stay None. Output: a float whose repr has at most `digits` decimals.
    """
    if value is None or not math.isfinite(value):
        return None
    exact = Decimal(float(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return float(exact)
