"""Every benchmark of the workbench, one module each; ``ipwb bench …`` is :mod:`ipwb.bench.cli`.

- :mod:`~ipwb.bench.pipeline` (``pipeline``): DAG validation and scheduler overhead per step
  (:mod:`~ipwb.bench.dag`), and with ``--odoo-url`` a no-op pipeline run by the workbench's worker.
- :mod:`~ipwb.bench.catalog_engine` (``catalog-engine``): warehouse introspection + scan diff.
- :mod:`~ipwb.bench.catalog` (``catalog``): scan and search through a running workbench, against
  a bare indexed lookup; ``--churn N`` re-times after N tables came and went.
- :mod:`~ipwb.bench.guardian` (``guardian``): the spec validation cycle.
- :mod:`~ipwb.bench.sql` (``sql``): a page of rows, guarded executor (:mod:`~ipwb.bench.sql_engine`)
  and the SQL editor over JSON-RPC (:mod:`~ipwb.bench.sql_odoo`) against raw psycopg2.
- :mod:`~ipwb.bench.overview` (``overview``): the workbench overview's one call (every tile).
- :mod:`~ipwb.bench.agent` (``agent``): a 3-tool LangGraph agent against a loopback model
  (:mod:`~ipwb.bench.agent_engine`), p50/p90 and the runtime's overhead per step.
- ``all``: each of them in turn; ``--quick`` for small sizes.

Shared pieces: :mod:`~ipwb.bench.figures` (percentiles, latency samples, printing) and
:mod:`~ipwb.bench.session` (the ``--odoo-*`` options and a logged-in JSON-RPC session).
Figures are printed, never asserted: no test fails on a timing.
"""
