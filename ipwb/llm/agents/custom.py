"""Bring your own graph: an administrator registers ``module:function`` as an agent's
graph. The function gets the same :class:`~ipwb.llm.agents.graph.AgentRuntime` as the
built-in graph (the requester's permitted tools, the gateway with its budgets and sinks,
the tool handler) and returns an *uncompiled* ``StateGraph`` over
:class:`~ipwb.llm.agents.graph.AgentState`; the runner compiles it with the run's
checkpointer, so durable state, approvals (``interrupt``) and traces (``steps`` in node
updates) work as for built-in agents. :func:`ipwb.llm.agents.graph.build_graph` is the
reference implementation, and its node helpers can be reused.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from ipwb.errors import ConfigurationError
from ipwb.llm.agents.graph import AgentRuntime

GraphFactory = Callable[[AgentRuntime], Any]
_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def load_graph_factory(entry_point: str) -> GraphFactory:
    """The callable named by ``module:function`` (an import or a name that is not there is
    a configuration error naming the entry point).

    >>> load_graph_factory("ipwb.llm.agents.graph:build_graph").__name__
    'build_graph'
    >>> load_graph_factory("os.system")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: Graph entry point must be 'package.module:function', not 'os.system'
    """
    if not _ENTRY_POINT.match(entry_point or ""):
        raise ConfigurationError(f"Graph entry point must be 'package.module:function', not {entry_point!r}")
    module_name, _, name = entry_point.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"Graph entry point {entry_point!r}: cannot import {module_name}: {exc}"
        ) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ConfigurationError(
            f"Graph entry point {entry_point!r}: {name} is not a function of {module_name}"
        )
    return factory  # type: ignore[no-any-return]
