"""The shared limits of libs.common: stored instants, user regexes on RE2, the capped template sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from marshmallow import Schema, ValidationError

from libs.common.instants import INSTANT_MAX, INSTANT_MIN, Instant, in_range
from libs.common.regex import compile_regex, fullmatch, regex_error, search
from libs.common.templates import Renderer, TemplateLimitError


class Window(Schema):
    at = Instant(required=True)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                   "9000-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1000-01-01T00:00:00Z"])
def test_instants_outside_what_every_store_holds_are_refused_naming_the_field(value):
    with pytest.raises(ValidationError) as refused:
        Window().load({"at": value})
    assert list(refused.value.messages) == ["at"]


@pytest.mark.parametrize("value", ["2026-08-22T09:00:00+02:00", "1900-01-01T00:00:00Z", "8999-12-31T23:59:59Z"])
def test_instants_in_range_load_as_given(value):
    assert Window().load({"at": value})["at"] == datetime.fromisoformat(value)


def test_in_range_copes_with_offsets_at_the_edges_of_datetime():
    assert not in_range(datetime.fromisoformat("9999-12-31T23:59:59-14:00"))
    assert in_range(INSTANT_MIN) and not in_range(INSTANT_MAX)
    assert in_range(datetime(2026, 1, 1, tzinfo=UTC))


def test_user_regexes_compile_on_re2_and_a_catastrophic_pattern_is_linear():
    assert type(compile_regex("a+")).__module__.startswith("re2")
    label = "a" * 40 + "." + "b" * 40  # a backtracking engine takes minutes on this
    assert not fullmatch("([a-z0-9.-]+)*!", label)
    assert fullmatch("([a-z0-9.-]+)*!", label + "!")
    assert search("b{3}", label) and not search("c", label)


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=x)x", "(?<!a)b", "((", "x" * 1001])
def test_patterns_re2_refuses_say_why_and_match_nothing(pattern):
    assert regex_error(pattern)
    assert fullmatch(pattern, "x") is False


def test_one_shared_capped_sandbox_serves_incident_notify_and_postmortem():
    from services.incident.adapters import title_templates
    from services.notify.adapters import templating
    from services.postmortem.adapters import rendering

    assert templating.Renderer is Renderer and templating.TemplateLimitError is TemplateLimitError
    assert isinstance(title_templates._titles, Renderer)
    assert all(isinstance(r, Renderer) for r in rendering._RENDERERS.values())
    assert title_templates.template_error("{% for %}") and title_templates.template_error("x" * 501)
    assert title_templates.render_title("{{ 'x' * 10000000 }}", {}, "fallback", None) == "fallback"


@pytest.mark.parametrize("source", [
    "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",  # empty loops are work too
    "{{ 'x' * 10000000 }}",
    "{{ 10 ** 100000 }}",
    "{% for a in range(1001) %}{% endfor %}",
    "{{ ().__class__.__base__.__subclasses__() }}",
])
def test_the_sandbox_caps_work_output_and_internals(source):
    with pytest.raises(TemplateLimitError):
        Renderer(max_output=64 * 1024, max_operations=10_000).render(source, {})


def test_caps_are_per_renderer_and_filters_are_its_own():
    small = Renderer(max_output=10, filters={"shout": str.upper})
    assert small.render("{{ 'hi' | shout }}", {}) == "HI"
    with pytest.raises(TemplateLimitError, match="output"):
        small.render("{{ 'x' * 5 }}{{ 'y' * 6 }}", {})
    with pytest.raises(TemplateLimitError, match="limited to 20"):
        Renderer(max_source=20).check("{{ x }}" * 10)
