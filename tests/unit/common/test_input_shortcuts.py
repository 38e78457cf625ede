"""check_json_body's shortcuts skip only bodies it could not refuse anyway."""

from __future__ import annotations

import pytest

from libs.common.input_limits import MAX_JSON_DEPTH, HostileInput, check_json_body


@pytest.mark.parametrize("raw", [
    b'{"title": "a \\u0000 b"}',                                  # NUL as an escape
    b'{"title": "\\ud800"}',                                      # lone surrogate as an escape
    b'{"title": "\xed\xa0\x80"}',                                 # lone surrogate as raw bytes (surrogatepass)
    '{"title": "a \\u0000 b"}'.encode("utf-16"),                  # UTF-16 body
    b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),   # too deep
])
def test_hostile_bodies_are_still_refused(raw):
    with pytest.raises(HostileInput):
        check_json_body(raw)


@pytest.mark.parametrize("raw", [
    b'{"title": "Checkout latency", "severity": "major", "priority": "high"}',
    b'{"title": "' + b"[" * (MAX_JSON_DEPTH + 5) + b'"}',        # brackets inside a string don't nest
    '{"title": "\ud55c\uad6d\uc5b4"}'.encode(),                   # Hangul starts with 0xED too: parsed, allowed
])
def test_ordinary_bodies_pass(raw):
    check_json_body(raw)
