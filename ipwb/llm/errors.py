"""Errors of the LLM features, all inside the engine's one hierarchy (:mod:`ipwb.errors`).

Addons map them to ``UserError`` like any other :class:`~ipwb.errors.IpwbError`; the
subclasses exist so a caller can react differently (e.g. show "try again in 12 s" for a
rate limit, or the budget that was hit) without parsing messages.
"""

from __future__ import annotations

from ipwb.errors import ConfigurationError, IntegrationError, IpwbError

NO_MODEL_MESSAGE = (
    "No LLM model configured: Genie features need at least one model "
    "(a hosted provider with an API key, or a self-hosted OpenAI-compatible server URL) in Settings"
)


class NoModelConfigured(ConfigurationError):
    """No model is configured; the message is shown as-is by every Genie feature."""

    def __init__(self, message: str = NO_MODEL_MESSAGE) -> None:
        super().__init__(message)


class RateLimited(IpwbError):
    """The user made too many calls; ``retry_after`` is the wait in seconds."""

    def __init__(self, user: str, retry_after: float) -> None:
        super().__init__(
            f"Too many LLM requests for user {user!r}: try again in {retry_after:.0f} s", user, retry_after
        )
        self.user = user
        self.retry_after = retry_after


class BudgetExceeded(IpwbError):
    """A call was refused before reaching the model because it would exceed a cost limit."""

    def __init__(self, scope: str, estimate: float, limit: float, spent: float = 0.0) -> None:
        spent_text = f" (already spent {spent:.6f} USD)" if spent else ""
        super().__init__(
            f"LLM call refused: the estimated cost {estimate:.6f} USD exceeds the {scope} budget "
            f"of {limit:.6f} USD{spent_text}",
            scope,
            estimate,
            limit,
            spent,
        )
        self.scope = scope
        self.estimate = estimate
        self.limit = limit
        self.spent = spent


class ModelCallFailed(IntegrationError):
    """Every configured model (after retries and fallbacks) failed; ``errors`` has each one."""

    def __init__(self, errors: list[str]) -> None:
        detail = "; ".join(errors) if errors else "no model was tried"
        super().__init__(f"The LLM call failed on every configured model: {detail}")
        self.errors = list(errors)


class SqlGenerationFailed(IpwbError):
    """NL→SQL produced no valid query within the allowed repair attempts."""

    def __init__(self, message: str, attempts: list[tuple[str, str]]) -> None:
        super().__init__(message)
        #: (sql, error) for every attempt, so the UI can show what was tried
        self.attempts = list(attempts)
