"""User regular expressions go through RE2: linear time in the input whatever the pattern, no backtracking."""

from __future__ import annotations

import functools

import re2

MAX_PATTERN_CHARS = 1000
_MAX_PROGRAM_BYTES = 8 << 20


class RegexError(ValueError):
    """A pattern RE2 refuses (backreferences, lookaround, too big); the message says why."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the caller's input, not our log noise
    options.max_mem = _MAX_PROGRAM_BYTES
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=2048)
def compile_regex(pattern: str) -> re2._Regexp:
    """The compiled RE2 program for a user pattern; RegexError if RE2 cannot compile it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RegexError(f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a regular expression"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(f"RE2 cannot compile {pattern!r}: {reason}") from None
    except (TypeError, UnicodeError) as exc:
        raise RegexError(f"RE2 cannot compile {pattern!r}: {exc}") from None


def regex_error(pattern: str) -> str | None:
    """Why RE2 refuses a pattern, or None if it compiles."""
    try:
        compile_regex(pattern)
    except RegexError as exc:
        return str(exc)
    return None


def fullmatch(pattern: str, value: str) -> bool:
    """Whether the whole of `value` matches; a pattern RE2 refuses matches nothing."""
    try:
        return compile_regex(pattern).fullmatch(value) is not None
    except RegexError:
        return False


def search(pattern: str, value: str) -> bool:
    """Whether `value` contains a match; a pattern RE2 refuses matches nothing."""
    try:
        return compile_regex(pattern).search(value) is not None
    except RegexError:
        return False
