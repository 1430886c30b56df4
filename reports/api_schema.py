"""OpenAPI 3 description of the read-only API v1, served at /api/v1/schema."""

from pcc_dashboard import vocabulary

SNAPSHOT = {
    "type": "object",
    "required": ["as_of", "frozen_at", "digest"],
    "properties": {
        "as_of": {"type": "string", "format": "date"},
        "frozen_at": {"type": "string", "format": "date-time"},
        "digest": {"type": "string", "description": "SHA-256 of the frozen content"},
    },
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}
NUMBER = {"type": ["number", "null"]}
MEASURE_REF = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "title": {"type": "string"},
        "unit": {"type": "string"},
        "unit_label": {"type": "string", "description": "The unit in words"},
        "direction": {"type": "string", "enum": ["up", "down", "neither"]},
        "direction_label": {"type": "string", "description": "Which way is better, in words"},
    },
}


def _param(name: str, where: str, schema: dict, description: str, required: bool = False):
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": schema,
    }


AS_OF = _param(
    "as_of",
    "path",
    {"type": "string", "pattern": r"^(latest|\d{4}-\d{2}-\d{2})$", "example": "latest"},
    "A month-end date (YYYY-MM-DD) of a frozen snapshot, or `latest`.",
)
CODE = _param(
    "code",
    "path",
    {"type": "string", "pattern": r"^[a-z0-9_-]{1,60}$", "example": "all_crime"},
    "A measure code.",
)
FORMAT = _param(
    "format",
    "query",
    {"type": "string", "enum": ["json", "csv"], "default": "json"},
    "json (default) or csv; CSV starts with preamble lines naming the snapshot.",
)

MONTHS = _param(
    "months",
    "query",
    {"type": "integer", "minimum": 1, "maximum": 36, "default": 12},
    "Length of the window in months.",
)


def _period_end_param(default: str) -> dict:
    """The `period_end` query parameter of a counting window; `default` says which month end it takes when left out."""
    return _param(
        "period_end",
        "query",
        {"type": "string", "format": "date"},
        f"Month end the window ends with; default {default}.",
    )


def _errors(*statuses: int) -> dict:
    text = {
        400: "A parameter is not valid.",
        403: "Not permitted.",
        404: "Unknown snapshot, measure, area or period (or one you may not see).",
    }
    return {
        str(s): {
            "description": text[s],
            "content": {"application/json": {"schema": ERROR}},
        }
        for s in statuses
    }


def _ok(schema: dict, description: str) -> dict:
    return {
        "200": {
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }


def _get(summary: str, params: list, ok: dict, *errors: int) -> dict:
    return {"get": {"summary": summary, "parameters": params, "responses": {**ok, **_errors(*errors)}}}


POINT = {
    "type": "object",
    "description": (
        "One period of the series, every period from the first to the last: a period never "
        "returned is a gap, a point whose value is null (no moving range spans it and it has no "
        "signal). Limits are those in force for the period (see `limits`)."
    ),
    "properties": {
        "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date"},
        "value": {**NUMBER, "description": "null: the period was never returned (a gap)."},
        "period_value": {
            **NUMBER,
            "description": (
                "For a cumulative measure (a running total such as savings to date): the period's own "
                "figure, which the mean, limits and signal describe; null otherwise, for the first "
                "period and beside a gap."
            ),
        },
        "numerator": NUMBER,
        "denominator": NUMBER,
        "respondents": {"type": ["integer", "null"]},
        "mean": NUMBER,
        "upper_limit": {**NUMBER, "description": "Mean + 2.66 × mean moving range of the baseline."},
        "lower_limit": {**NUMBER, "description": "Mean − 2.66 × mean moving range of the baseline."},
        "signal": {
            "type": ["string", "null"],
            "enum": [*vocabulary.SPECIAL_CAUSE, None],
            "description": "Special cause variation at this point; null: common cause (or a gap).",
        },
        "signal_label": {"type": ["string", "null"], "description": "The SPC variation in words"},
        "rules": {"type": ["string", "null"], "description": "The SPC rules that fired, comma-separated codes"},
        "rules_label": {"type": ["string", "null"], "description": "The SPC rules that fired, in words"},
        "provisional": {
            "type": "boolean",
            "description": (
                "True when the limits come from fewer points than the minimum (12 by default): "
                "a run chart whose limits are provisional."
            ),
        },
    },
}
LIMITS = {
    "type": "object",
    "description": "One set of process limits: the periods it covers from `from` until the next set starts.",
    "properties": {
        "from": {"type": "string", "format": "date", "description": "Period end of its first period."},
        "baseline_from": {"type": ["string", "null"], "format": "date"},
        "baseline_to": {
            "type": ["string", "null"],
            "format": "date",
            "description": "The mean and limits come from the points of baseline_from to baseline_to.",
        },
        "baseline_points": {"type": "integer"},
        "provisional": {"type": "boolean", "description": "baseline_points < min_points."},
        "min_points": {"type": "integer"},
        "recalculated": {
            "type": ["object", "null"],
            "description": "The dated, explained change that started these limits; null for the first set.",
            "properties": {
                "date": {"type": "string", "format": "date"},
                "label": {"type": "string"},
                "text": {"type": "string"},
            },
        },
    },
}
MEMBER = {
    "type": "object",
    "properties": {
        "area_code": {"type": "string"},
        "name": {"type": "string"},
        "count": NUMBER,
        "population": NUMBER,
        "population_mid_year": {"type": ["integer", "null"]},
        "rate_per_1000": NUMBER,
        "rank": {"type": ["integer", "null"]},
        "position": {"type": ["string", "null"]},
        "position_label": {"type": ["string", "null"], "description": "The position against the group, in words"},
    },
}

FORCE_MEMBER = {
    "type": "object",
    "properties": {
        "area_code": {"type": "string"},
        "name": {"type": "string"},
        "count": {**NUMBER, "description": "null: the force has no figures for every month of the window."},
        "population": NUMBER,
        "population_mid_year": {"type": ["integer", "null"]},
        "rate_per_1000": NUMBER,
        "rank": {
            "type": ["integer", "null"],
            "description": "1 = the best-placed rate (lowest where lower is better).",
        },
        "in_group": {"type": "boolean", "description": "A member of the force's Most Similar Group."},
        "is_focus": {"type": "boolean", "description": "The force this office oversees."},
    },
}


def _measure_answer(**properties: dict) -> dict:
    """The body of an answer about one measure: the snapshot and the measure, then `properties` (name → schema)."""
    return {"type": "object", "properties": {"snapshot": SNAPSHOT, "measure": MEASURE_REF, **properties}}


FORCES = _measure_answer(
    period_start={"type": "string", "format": "date"},
    period_end={"type": "string", "format": "date"},
    months={"type": "integer"},
    group={"type": ["string", "null"]},
    all_forces_rate={**NUMBER, "description": "Pooled: sum of counts ÷ sum of populations × 1,000."},
    group_rate={**NUMBER, "description": "Pooled over the Most Similar Group's members."},
    members={"type": "array", "items": FORCE_MEMBER},
)


def api_schema_dict() -> dict:
    """The schema as a plain dict (deterministic: the server URL is relative)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Police and Crime Plan performance API",
            "version": "1.0.0",
            "description": (
                "Read-only figures from frozen month-end snapshots. Anonymous callers see "
                "published snapshots and non-restricted measures only. Contains public sector "
                "information licensed under the Open Government Licence v3.0."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/snapshots": _get(
                "Frozen snapshots you may see, newest first",
                [FORMAT],
                _ok(
                    {
                        "type": "array",
                        "items": {
                            **SNAPSHOT,
                            "properties": {
                                **SNAPSHOT["properties"],
                                "published": {"type": "boolean"},
                            },
                        },
                    },
                    "Snapshots",
                ),
                400,
            ),
            "/snapshots/{as_of}/measures": _get(
                "Measures in a snapshot",
                [AS_OF, FORMAT],
                _ok(
                    {
                        "type": "object",
                        "properties": {
                            "snapshot": SNAPSHOT,
                            "measures": {
                                "type": "array",
                                "items": {
                                    **MEASURE_REF,
                                    "properties": {
                                        **MEASURE_REF["properties"],
                                        "under_reported": {"type": "boolean"},
                                        "priorities": {
                                            "type": "array",
                                            "items": {"type": "integer"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "Measures",
                ),
                400,
                404,
            ),
            "/snapshots/{as_of}/measures/{code}/series": _get(
                "A measure's series for one area, with SPC limits and signals",
                [
                    AS_OF,
                    CODE,
                    _param(
                        "area",
                        "query",
                        {"type": "string", "pattern": r"^[EWSN][0-9]{8}$"},
                        "GSS code of the area; default the focus force.",
                    ),
                    FORMAT,
                ],
                _ok(
                    _measure_answer(
                        area={"type": "string"},
                        granularity={"type": ["string", "null"], "enum": ["month", "quarter", "year", None]},
                        points={"type": "array", "items": POINT},
                        limits={"type": "array", "items": LIMITS},
                    ),
                    "Series",
                ),
                400,
                404,
            ),
            "/snapshots/{as_of}/measures/{code}/msg": _get(
                "Most Similar Group comparison, rates per 1,000 population",
                [AS_OF, CODE, _period_end_param("the snapshot's comparison"), MONTHS, FORMAT],
                _ok(
                    _measure_answer(
                        period_start={"type": ["string", "null"], "format": "date"},
                        period_end={"type": ["string", "null"], "format": "date"},
                        group={"type": ["string", "null"]},
                        mean_of_rates=NUMBER,
                        pooled_rate=NUMBER,
                        band_low=NUMBER,
                        band_high=NUMBER,
                        members={"type": "array", "items": MEMBER},
                    ),
                    "Comparison",
                ),
                400,
                404,
            ),
            "/snapshots/{as_of}/measures/{code}/forces": _get(
                "Position among all forces: every force's rate per 1,000 population and rank",
                [AS_OF, CODE, _period_end_param("the recent one most forces have complete"), MONTHS, FORMAT],
                _ok(FORCES, "Every force"),
                400,
                404,
            ),
            "/snapshots/{as_of}/outcomes": _get(
                "Crime outcome counts by crime group and outcome type for one month",
                [
                    AS_OF,
                    _param(
                        "month",
                        "query",
                        {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                        "YYYY-MM; default the latest month in the snapshot.",
                    ),
                    _param(
                        "scheme",
                        "query",
                        {"type": "string", "enum": ["home_office", "police_uk"]},
                        "Outcome scheme; default the first the snapshot holds.",
                    ),
                    FORMAT,
                ],
                _ok(
                    {
                        "type": "object",
                        "properties": {
                            "snapshot": SNAPSHOT,
                            "month": {"type": "string"},
                            "scheme": {"type": "string"},
                            "counts": {"type": "array", "items": {"type": "object"}},
                            "totals": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "Outcome counts",
                ),
                400,
                403,
                404,
            ),
        },
    }
