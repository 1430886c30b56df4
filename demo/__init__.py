"""Demonstration data: a deterministic Leicestershire story, demo users and frozen snapshots (`manage.py seed_demo`)."""
