"""The LLM gateway: one door for every model call of every Genie feature.

Why a gateway instead of calling litellm where needed: cost, safety and observability
rules must hold for *every* call — a per-user rate limit, budgets refused before any money
is spent, a cache for identical prompts, retries then fallback to the next model on
transient failures (5xx, timeouts, connection errors), and a :class:`CallRecord` for every
attempt delivered to the sinks (cost ledger, traces, Langfuse). Features (NL→SQL, agents,
pipeline generation) only build messages and read answers.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.backend import Backend, BackendError, Completion, LiteLLMBackend, ToolCall
from ipwb.llm.cache import MemoryCache, ResponseCache, cache_key
from ipwb.llm.config import GatewayConfig, ModelEntry
from ipwb.llm.errors import BudgetExceeded, ModelCallFailed, NoModelConfigured, RateLimited
from ipwb.llm.pricing import call_cost, estimate_prompt_cost
from ipwb.llm.ratelimit import Limiter, TokenBucketLimiter
from ipwb.llm.records import CallRecord, Sink, SinkFanout

Messages = Sequence[Mapping[str, Any]]
Tools = Sequence[Mapping[str, Any]]


@dataclasses.dataclass
class SessionBudget:
    """Spending of one conversation / agent run, checked before each call."""

    session_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    limit: float | None = None
    spent: float = 0.0


@dataclasses.dataclass(frozen=True)
class GatewayResult:
    completion: Completion
    model_name: str
    cost_usd: float
    cached: bool
    call_id: str
    #: every record of this call (failed attempts first), as delivered to the sinks
    records: tuple[CallRecord, ...]

    @property
    def content(self) -> str:
        return self.completion.content

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        return self.completion.tool_calls

    @property
    def attempts(self) -> int:
        """Model attempts made (0 for a cache hit)."""
        return sum(1 for r in self.records if r.model_name and not r.cached)


class Gateway:
    """Configured from plain data; collaborators are injectable for tests and Odoo.

    ``outbound`` is the policy the litellm backend checks each model's endpoint with (see
    :class:`~ipwb.llm.backend.LiteLLMBackend`); the default allows no ``api_base`` at all, so
    a caller with self-hosted models passes the policy that lists them.
    """

    def __init__(
        self,
        config: GatewayConfig,
        *,
        sinks: Iterable[Sink] = (),
        backend: Backend | None = None,
        cache: ResponseCache | None = None,
        limiter: Limiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self.config = config
        self.outbound = outbound if outbound is not None else OutboundPolicy()
        self.sinks = SinkFanout(sinks)
        self._backend = backend
        self.cache: ResponseCache | None = (
            cache if cache is not None else MemoryCache(config.cache_size, config.cache_ttl, clock)
        )
        if limiter is None and config.rate_limit is not None:
            limiter = TokenBucketLimiter(config.rate_limit.capacity, config.rate_limit.per_minute, clock)
        self.limiter = limiter
        self._sleep = sleep

    @classmethod
    def from_data(
        cls, data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, **kwargs: Any
    ) -> Gateway:
        return cls(GatewayConfig.from_data(data), **kwargs)

    @property
    def configured(self) -> bool:
        return bool(self.config.models)

    def require_model(self) -> None:
        """Raise :class:`NoModelConfigured` (the message Genie shows) if there is no model."""
        if not self.config.models:
            raise NoModelConfigured()

    @property
    def backend(self) -> Backend:
        if self._backend is None:  # lazy: litellm is slow to import and optional
            self._backend = LiteLLMBackend(self.outbound)
        return self._backend

    def new_session(self, session_id: str | None = None) -> SessionBudget:
        budget = SessionBudget(limit=self.config.max_cost_per_session)
        if session_id:
            budget.session_id = session_id
        return budget

    # -- the call --------------------------------------------------------------------------
    def complete(
        self,
        messages: Messages,
        *,
        user: str,
        feature: str,
        tools: Tools | None = None,
        model: str | None = None,
        session: SessionBudget | None = None,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> GatewayResult:
        """Answer ``messages`` with the first model of the chain that succeeds.

        Raises :class:`NoModelConfigured`, :class:`RateLimited`, :class:`BudgetExceeded`
        (all before any model is called) or :class:`ModelCallFailed`.
        """
        self.require_model()
        chain = self.config.chain(model)
        params = dict(params or {})
        base = _RecordBase(uuid.uuid4().hex, user, feature, list(messages), session, dict(metadata or {}))
        key = cache_key([f"{e.name}={e.model}" for e in chain], messages, tools, params)
        if use_cache and self.cache is not None:
            hit = self.cache.get(key)
            if isinstance(hit, tuple) and len(hit) == 2:
                return self._cached(base, hit[0], hit[1])
        self._admit(base, chain[0], messages, tools)
        result = self._call_chain(base, chain, messages, tools, params)
        if use_cache and self.cache is not None:
            self.cache.put(key, (result.model_name, result.completion))
        return result

    def _admit(self, base: _RecordBase, first: ModelEntry, messages: Messages, tools: Tools | None) -> None:
        """Rate limit and budgets, checked before any model is reached."""
        try:
            if self.limiter is not None:
                self.limiter.acquire(base.user)
            limit_call, session = self.config.max_cost_per_call, base.session
            if limit_call is None and (session is None or session.limit is None):
                return
            estimate = estimate_prompt_cost(first, self.backend, messages, tools)
            if limit_call is not None and estimate > limit_call:
                raise BudgetExceeded("per-call", estimate, limit_call)
            if session is not None and session.limit is not None and session.spent + estimate > session.limit:
                raise BudgetExceeded("session", estimate, session.limit, session.spent)
        except (RateLimited, BudgetExceeded) as exc:
            kind = "rate_limited" if isinstance(exc, RateLimited) else "budget"
            self.sinks.call(base.record(0, error=str(exc), error_kind=f"refused:{kind}"))
            raise

    def _call_chain(
        self, base: _RecordBase, chain: list[ModelEntry], messages: Messages, tools: Tools | None, params: Any
    ) -> GatewayResult:
        records: list[CallRecord] = []
        errors: list[str] = []
        attempt = 0
        for entry in chain:
            for retry in range(entry.max_retries + 1):
                attempt += 1
                started = time.time()
                tick = time.perf_counter()
                try:
                    completion = self.backend.complete(entry, messages, tools, params)
                except BackendError as exc:
                    record = base.record(
                        attempt,
                        entry=entry,
                        error=str(exc),
                        error_kind=exc.kind,
                        latency_ms=(time.perf_counter() - tick) * 1000,
                        started_at=started,
                    )
                    records.append(record)
                    self.sinks.call(record)
                    errors.append(str(exc))
                    if not exc.transient:
                        raise ModelCallFailed(errors) from None
                    if retry < entry.max_retries and self.config.retry_backoff > 0:
                        self._sleep(self.config.retry_backoff * (2**retry))
                    continue
                cost, source = call_cost(entry, completion)
                record = base.record(
                    attempt,
                    entry=entry,
                    completion=completion,
                    cost=cost,
                    cost_source=source,
                    latency_ms=(time.perf_counter() - tick) * 1000,
                    started_at=started,
                )
                records.append(record)
                self.sinks.call(record)
                if base.session is not None:
                    base.session.spent += cost
                return GatewayResult(completion, entry.name, cost, False, base.call_id, tuple(records))
        raise ModelCallFailed(errors)

    def _cached(self, base: _RecordBase, model_name: str, completion: Completion) -> GatewayResult:
        entry = self.config.entry(model_name)
        record = base.record(0, entry=entry, completion=completion, cached=True)
        self.sinks.call(record)
        return GatewayResult(completion, model_name, 0.0, True, base.call_id, (record,))


@dataclasses.dataclass(frozen=True)
class _RecordBase:
    """The parts of a :class:`CallRecord` shared by all attempts of one call."""

    call_id: str
    user: str
    feature: str
    prompt: list[Mapping[str, Any]]
    session: SessionBudget | None
    metadata: dict[str, Any]

    def record(
        self,
        attempt: int,
        *,
        entry: ModelEntry | None = None,
        completion: Completion | None = None,
        cost: float = 0.0,
        cost_source: str = "none",
        error: str = "",
        error_kind: str = "",
        latency_ms: float = 0.0,
        started_at: float | None = None,
        cached: bool = False,
    ) -> CallRecord:
        return CallRecord(
            call_id=self.call_id,
            attempt=attempt,
            user=self.user,
            feature=self.feature,
            prompt=self.prompt,
            model_name=entry.name if entry else "",
            model=entry.model if entry else "",
            response=completion.response_text() if completion else "",
            tokens_in=completion.tokens_in if completion and not cached else 0,
            tokens_out=completion.tokens_out if completion and not cached else 0,
            latency_ms=latency_ms,
            cost_usd=cost,
            cost_source=cost_source,
            error=error,
            error_kind=error_kind,
            cached=cached,
            session=self.session.session_id if self.session else "",
            started_at=time.time() if started_at is None else started_at,
            metadata=self.metadata,
        )
