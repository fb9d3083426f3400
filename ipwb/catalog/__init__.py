"""Catalog helpers that talk to a running workbench (Odoo) from outside, e.g. benchmarks."""
