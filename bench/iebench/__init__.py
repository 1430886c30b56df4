"""Bench-only app: the model django-import-export imports into, beside the product's importer."""
