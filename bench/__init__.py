"""Benchmarks at national scale: `make bench` runs bench/run.py."""
