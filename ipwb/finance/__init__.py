"""The Philippine BIR finance domain: bronze → silver → gold marts over Odoo accounting.

- :mod:`ipwb.finance.bir`        BIR rules: 2550Q/2550M line map, ATC codes, TIN helpers, periods.
- :mod:`ipwb.finance.warehouse`  bronze tables (JSON rows, versions, tombstones, watermarks).
- :mod:`ipwb.finance.marts`      the silver/gold build (``sql/*.sql``), fingerprints, gold readers.
- :mod:`ipwb.finance.reconcile`  compares gold figures with Odoo's own and lists differences;
  reads gold per quarter and finds the quarters whose gold changed.
- :mod:`ipwb.finance.tax_report` evaluates Odoo's own tax report definition (tags, aggregations).
- :mod:`ipwb.finance.superset_bundle` generates the Superset import bundle (charts in ``superset_charts``).
- :mod:`ipwb.finance.bi`         the read-only BI role and the ``bi`` views a Superset reads.
- :mod:`ipwb.finance.scaffold`   the new-domain template: spec YAML, SQL and checks for a model set.
- :mod:`ipwb.finance.odoo_source` the ``odoo_extract`` step kind: any Odoo model into bronze.

Nothing here imports Odoo: the addon ``ipwb_finance_bir`` reads Odoo and hands plain rows over.
"""

from ipwb.finance import odoo_source

__all__ = ["odoo_source"]
