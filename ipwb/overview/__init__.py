"""The workbench overview: launch-metric targets, tile status and daily series (no Odoo)."""
