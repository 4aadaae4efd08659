"""A run's spending limit: stop dispatching before the spend would pass it."""

from __future__ import annotations

from collections import Counter

from blindside.client.tokens import DEFAULT_MAX_OUTPUT_TOKENS, estimate_tokens, max_output_tokens
from blindside.client.usage import cost_usd
from blindside.engine.tasks import Task

__all__ = ["Budget"]


class Budget:
    """Stops dispatching before the spend would pass ``max_cost_usd``.

    Before a request goes out its cost is estimated (see :meth:`estimate`) and
    reserved; the actual cost replaces the reservation when the answer
    arrives. An answer dearer than every earlier one of its model can still
    push the spend slightly past the limit.
    """

    def __init__(self, max_cost_usd: float | None) -> None:
        self.max_cost_usd = max_cost_usd
        self.spent = 0.0
        self.reserved = 0.0
        self._dearest: dict[str, float] = {}  # per model, the dearest answer so far
        self._answers: Counter[str] = Counter()  # per model, answers with a known cost
        self.stopped = False

    def estimate(self, task: Task) -> float:
        """Expected cost of a task, on the high side so the budget is not passed.

        The dearest answer of this model so far, and until five answers are in,
        no less than a guess that assumes the full output budget is used.
        """
        name = task.model.name
        dearest = self._dearest.get(name, 0.0)
        if self._answers[name] >= 5:
            return dearest
        guess = cost_usd(
            task.model.pricing,
            prompt_tokens=estimate_tokens(task.messages, 0, tools=task.tools),
            cached_tokens=0,
            completion_tokens=max_output_tokens(task.model.params) or DEFAULT_MAX_OUTPUT_TOKENS,
        )
        return max(guess, dearest)

    def reserve(self, task: Task) -> float | None:
        """Reserve the task's estimated cost; None once the budget would be passed.

        Returns 0.0 without estimating anything when there is no budget.
        """
        if self.max_cost_usd is None:
            return 0.0
        amount = self.estimate(task)
        if self.stopped or self.spent + self.reserved + amount > self.max_cost_usd:
            self.stopped = True
            return None
        self.reserved += amount
        return amount

    def settle(self, reserved: float, model: str, actual: float | None) -> None:
        """Replace a reservation with what the answer cost (None: it cost nothing known)."""
        self.reserved -= reserved
        if actual is not None:
            self.spent += actual
            self._answers[model] += 1
            self._dearest[model] = max(actual, self._dearest.get(model, 0.0))
