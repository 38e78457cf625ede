"""The one Jinja2 sandbox for user templates: capped output size, work (steps and time) and source size.

Used by notify's message templates, postmortem documents and incident routing-rule titles; each caller
picks its caps. Every failure, whether syntax, sandbox escape or a cap, is a TemplateLimitError.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError, Undefined
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_OUTPUT = 64 * 1024
MAX_OPERATIONS = 10_000
MAX_RANGE = 1_000
MAX_SECONDS = 1.0
MAX_SOURCE = 32 * 1024
MAX_EXPONENT = 64


class TemplateLimitError(ValueError):
    """A template broke a rule or a cap (syntax, sandbox, output size, work)."""


class _Budget:
    def __init__(self, operations: int, seconds: float):
        self.left, self.deadline = operations, time.monotonic() + seconds

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SecurityError("the template does too much work")
        if time.monotonic() > self.deadline:
            raise SecurityError("the template takes too long")


class CappedSandbox(SandboxedEnvironment):
    """A sandbox that counts calls, lookups and range steps against a budget and bounds `range`, `*`, `**`."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self, max_output: int = MAX_OUTPUT, max_range: int = MAX_RANGE, **options: Any):
        options.setdefault("autoescape", False)
        super().__init__(undefined=Undefined, **options)
        self.max_output, self.max_range = max_output, max_range
        self.globals["range"] = self._range
        self._local = threading.local()  # one budget per render; renders run in many threads

    @property
    def budget(self) -> _Budget | None:
        return getattr(self._local, "budget", None)

    @budget.setter
    def budget(self, value: _Budget | None) -> None:
        self._local.budget = value

    def _spend(self) -> None:
        budget = self.budget
        if budget is not None:
            budget.spend()

    def _range(self, *args: int) -> Iterator[int]:
        values = range(*args)
        if len(values) > self.max_range:
            raise SecurityError(f"range is limited to {self.max_range} items")
        return self._steps(values)

    def _steps(self, values: range) -> Iterator[int]:
        for value in values:  # nested empty loops cost work too
            self._spend()
            yield value

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        __self._spend()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj, attribute):
        self._spend()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        self._spend()
        return super().getitem(obj, argument)

    def call_binop(self, context, operator, left, right):
        self._spend()
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError("exponent too large")
        if operator == "*":
            cap = self.max_output
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > cap:
                    raise SecurityError("the result would be too large")
        return super().call_binop(context, operator, left, right)


class Renderer:
    """Compiles (cached) and renders user templates within caps; every failure is a TemplateLimitError."""

    def __init__(self, max_output: int = MAX_OUTPUT, max_operations: int = MAX_OPERATIONS,
                 max_seconds: float = MAX_SECONDS, max_source: int = MAX_SOURCE, max_range: int = MAX_RANGE,
                 autoescape: bool = False, filters: dict[str, Callable[..., Any]] | None = None):
        self.env = CappedSandbox(max_output=max_output, max_range=max_range, autoescape=autoescape)
        self.env.filters.update(filters or {})
        # Compiling costs far more than rendering: templates are few, so keep the compiled ones.
        self._compiled = lru_cache(maxsize=512)(self._compile)
        self.max_output, self.max_operations, self.max_seconds = max_output, max_operations, max_seconds
        self.max_source = max_source

    def check(self, source: str) -> None:
        """Raise TemplateLimitError if the source is too long or does not parse."""
        self._compiled(source)

    def error(self, source: str) -> str | None:
        """Why the source cannot be used, or None."""
        try:
            self.check(source)
        except TemplateLimitError as exc:
            return str(exc)
        return None

    def _compile(self, source: str) -> Template:
        if len(source) > self.max_source:
            raise TemplateLimitError(f"a template is limited to {self.max_source} characters")
        try:
            return self.env.from_string(source)
        except TemplateError as exc:
            raise TemplateLimitError(f"template syntax: {exc}") from None
        except (RecursionError, MemoryError, ValueError) as exc:  # absurdly nested sources
            raise TemplateLimitError(f"template syntax: {type(exc).__name__}") from None

    def render(self, source: str, context: dict[str, Any]) -> str:
        """The rendered text; stops as soon as the output passes the cap."""
        template = self._compiled(source)
        self.env.budget = _Budget(self.max_operations, self.max_seconds)
        try:
            out, size = [], 0
            for chunk in template.generate(**context):
                size += len(chunk)
                if size > self.max_output:
                    raise TemplateLimitError(f"the output passes {self.max_output} characters")
                out.append(chunk)
            return "".join(out)
        except TemplateLimitError:
            raise
        except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError, LookupError,
                RecursionError) as exc:
            raise TemplateLimitError(f"{type(exc).__name__}: {exc}") from None
        finally:
            self.env.budget = None
