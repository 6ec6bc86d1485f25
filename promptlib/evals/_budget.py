"""What an eval run will cost before it starts, and a spending limit while it runs.

:func:`plan_run` renders every case and works out the first request it would send
(deployment, model, n, size, quality), whether the cache already holds it, and what
it would cost at the deployment's prices — the basis of ``eval --dry-run`` and of
``--max-cost``'s refusal to start. :class:`Budget` then stops a running eval from
sending once actual spend (plus what is in flight) would pass the limit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from promptlib.client._requests import ImageRequest
from promptlib.exceptions import PromptlibError, UsageError
from promptlib.models._pricing import Price, cost_usd, estimate_usage

if TYPE_CHECKING:
    from promptlib._library import Library
    from promptlib.evals._cache import ResultCache
    from promptlib.evals._cases import EvalCase

BUDGET_MESSAGE = "budget"


class BudgetExceeded(UsageError):
    """The run's estimated cost is over ``--max-cost``: refused before sending anything (exit 2)."""


class BudgetExhausted(Exception):
    """Raised inside a run when the next request would pass the limit; the case becomes ``skipped``."""


@dataclass(frozen=True)
class PlannedRequest:
    """The first request one case would send."""

    case: str
    deployment: str | None
    model: str | None
    n: int
    size: str | None
    quality: str | None
    cached: bool
    estimated_cost: float  # 0 when cached: a hit costs nothing
    worst_case_cost: float  # with the top-up draw an ambiguous case may need, at the deployment's prices
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunPlan:
    requests: list[PlannedRequest]

    @property
    def estimated_cost(self) -> float:
        return sum(r.estimated_cost for r in self.requests)

    @property
    def worst_case_cost(self) -> float:
        return sum(r.worst_case_cost for r in self.requests)

    @property
    def to_send(self) -> list[PlannedRequest]:
        return [r for r in self.requests if not r.cached and r.error is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": [r.to_dict() for r in self.requests],
            "to_send": len(self.to_send),
            "cached": sum(r.cached for r in self.requests),
            "images_to_generate": sum(r.n for r in self.to_send),
            "estimated_cost_usd": round(self.estimated_cost, 6),
            "worst_case_cost_usd": round(self.worst_case_cost, 6),
        }


def plan_run(
    library: Library,
    cases: Sequence[EvalCase],
    *,
    deployment: str | None = None,
    samples: int | None = None,
    cache: ResultCache | None = None,
) -> RunPlan:
    """Each case's first request and its cost; sends nothing. ``cache=None`` treats everything as uncached."""
    settings = library.settings
    rows: list[PlannedRequest] = []
    for case in cases:
        key = f"{case.suite}/{case.id}"
        k = samples or case.policy.samples
        top_up = max(case.policy.max_samples, k) - k
        try:
            rendered = library.get(case.template_id).render(case.variables)
            name = settings.deployment_name(deployment, case.deployment or rendered.deployment)
            model = settings.deployment(name).model
            price = settings.price(name)
            variant = settings.deployment(name).output_identity()
            request = ImageRequest.from_rendered(rendered, deployment=name, model=model, sample=0, n=k, variant=variant)
        except PromptlibError as exc:
            rows.append(PlannedRequest(key, None, None, k, None, None, False, 0.0, 0.0, error=str(exc)))
            continue
        cached = cache is not None and cache.get(request) is not None
        cost = 0.0 if cached else request_cost(request, price)
        extra = 0.0
        if top_up:
            more = ImageRequest.from_rendered(
                rendered, deployment=name, model=model, sample=k, n=top_up, variant=variant
            )
            extra = request_cost(more, price)
        params = request.parameters
        rows.append(PlannedRequest(
            key, name, model, k, str(params.size) if params.size else None,
            str(params.quality) if params.quality else None, cached, cost, cost + extra,
        ))  # fmt: skip
    return RunPlan(rows)


def request_cost(request: ImageRequest, price: Price | None) -> float:
    """The estimated dollar cost of ``request`` at ``price`` (default: its model's list prices)."""
    usage = estimate_usage(request.prompt, request.parameters, len(request.images))
    return cost_usd(request.model, usage, price)


def refuse_over_budget(plan: RunPlan, max_cost: float) -> None:
    """Raise BudgetExceeded (exit 2) when the plan's estimate is over ``max_cost``."""
    if plan.estimated_cost > max_cost + 1e-9:
        raise BudgetExceeded(
            f"estimated cost ${plan.estimated_cost:.4f} for {len(plan.to_send)} requests exceeds --max-cost "
            f"${max_cost:.4f}; raise the limit, run fewer cases or samples, or use `--dry-run` to see the plan"
        )


class Budget:
    """A spending limit shared by every request of one run (thread-safe: cases run concurrently).

    A request may start only if actual spend so far, plus the estimates of requests in flight, plus its own
    estimate stays within the limit; so concurrent requests cannot together overshoot by more than the
    service's usage differing from the estimate.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self._lock = threading.Lock()

    def reserve(self, estimate: float) -> None:
        with self._lock:
            if self.spent + self.reserved + estimate > self.limit + 1e-9:
                raise BudgetExhausted(f"budget: ${self.spent:.4f} spent of ${self.limit:.4f}")
            self.reserved += estimate

    def settle(self, estimate: float, actual: float) -> None:
        """The request finished (``actual`` its cost) or failed (``actual`` 0): release its reservation."""
        with self._lock:
            self.reserved = max(0.0, self.reserved - estimate)
            self.spent += actual
