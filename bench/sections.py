"""Freezing, pages, cached throughput and page weight (items 3–6); each skips with a note if its code is absent."""

from __future__ import annotations


def run_rest(table, *, env, national, rows, wanted) -> None:
    table.note("freeze, pages, http and weight sections are not written yet")
