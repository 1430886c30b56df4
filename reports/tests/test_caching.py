"""Tests for reports.caching: cached pages key on a cache-held generation."""

from django.core.cache import cache

from reports.caching import freshness_bump, freshness_generation


def test_freshness_generation_stable_until_bumped():
    cache.clear()
    first = freshness_generation()
    assert freshness_generation() == first
    freshness_bump()
    assert freshness_generation() != first
