"""SQL understanding with sqlglot: classification, formatting, parameters, lineage.

Pure functions over SQL text (no database access), so the SQL editor, Genie and the
CLI can explain a statement before anything is sent to a warehouse.
"""
