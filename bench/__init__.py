"""Benchmarks at national scale (issue 8): `make bench` runs bench/run.py."""
