"""LLM features of the engine: gateway, NL→SQL, evaluation, agents, generation helpers.

This package is the only code in the project that imports ``litellm`` (and only through
:mod:`ipwb.llm.backend`, lazily), so the rest of the engine and the Odoo addons stay
importable and fast when no model is configured. Entry points:

- :class:`ipwb.llm.gateway.Gateway` — every model call (fallbacks, retries, cache, rate
  limit, budget, cost records)
- :mod:`ipwb.llm.nl2sql` — schema retrieval, generation, validation and repair
- :mod:`ipwb.llm.evaluate` — retrieval recall@k and execution accuracy
- :mod:`ipwb.llm.agents` — agents on LangGraph: tools, approvals, durable runs
"""
