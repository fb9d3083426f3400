"""Run cost and per-run budgets.

A run's cost is the compute time of its steps priced at a configured rate (USD per second,
the ``warehouse`` row of the price table) plus the LLM costs its steps caused. A budget
either *warns* (the run goes on, the owner is told) or *blocks* (the next step does not
start and the run fails with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ipwb.errors import ConfigurationError

BUDGET_MODES = ("warn", "block")
_MICRO = Decimal("0.000001")


def compute_cost(seconds: float, rate_per_second: float, llm_usd: float = 0.0) -> float:
    """Compute seconds times rate + LLM costs, rounded to a micro-dollar.

    >>> compute_cost(12.5, 0.0004)
    0.005
    >>> compute_cost(2, 0.001, llm_usd=0.25)
    0.252
    """
    if seconds < 0 or rate_per_second < 0 or llm_usd < 0:
        raise ConfigurationError("cost inputs cannot be negative")
    total = Decimal(str(seconds)) * Decimal(str(rate_per_second)) + Decimal(str(llm_usd))
    return float(total.quantize(_MICRO, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class BudgetDecision:
    """``exceeded``: spent > budget; ``block``: the run must stop; ``message`` says why."""

    exceeded: bool
    block: bool
    message: str


def check_budget(spent: float, budget: float | None, mode: str = "warn") -> BudgetDecision:
    """Compare what a run spent with its budget (``None`` or 0 = no budget).

    >>> check_budget(6.0, 5.0, "block").block
    True
    >>> check_budget(4.0, 5.0, "block").exceeded
    False
    """
    if mode not in BUDGET_MODES:
        raise ConfigurationError(f"budget mode must be one of {', '.join(BUDGET_MODES)}, not {mode!r}")
    if not budget or spent <= budget:
        return BudgetDecision(False, False, "")
    verb = "blocked" if mode == "block" else "over budget"
    return BudgetDecision(True, mode == "block", f"run {verb}: spent ${spent:.4f} of a ${budget:.2f} budget")
