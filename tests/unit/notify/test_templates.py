"""Templates: a Jinja2 sandbox with caps on output size and work; defaults for every channel."""

from __future__ import annotations

import pytest

from services.notify.adapters.templating import Renderer, TemplateLimitError
from services.notify.domain.messages import CATEGORIES, CHANNELS
from services.notify.domain.templates import default_template

CONTEXT = {"incident": {"reference": "INC-1", "title": "DB down", "severity": "major", "priority": "high",
                        "status": "new", "team": "sre", "commander": "bob", "links": [{"url": "https://x"}]},
           "ack_url": "https://ack", "message": "hello", "event": {"summary": "declared"}}


def test_renders_with_the_context():
    assert Renderer().render("[{{ incident.reference }}] {{ incident.title|upper }}", CONTEXT) == "[INC-1] DB DOWN"


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_has_a_default_that_renders(category, channel):
    subject, body = default_template(category, channel)
    assert "INC-1" in Renderer().render(subject, CONTEXT)
    assert Renderer().render(body, CONTEXT).strip()


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ incident.__class__ }}{{ ().__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
])
def test_the_sandbox_refuses_python_internals(source):
    with pytest.raises(TemplateLimitError):
        Renderer().render(source, CONTEXT)


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}x{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}"
    "{% endfor %}",
    "{{ 'x' * 10000000 }}",
    "{{ 10 ** 100000 }}",
    "{% for a in range(500) %}{{ 'y' * 500 }}{% endfor %}",
])
def test_work_and_output_are_capped(source):
    with pytest.raises(TemplateLimitError):
        Renderer(max_output=64 * 1024).render(source, CONTEXT)


def test_syntax_errors_are_reported_not_raised_raw():
    with pytest.raises(TemplateLimitError, match="syntax"):
        Renderer().check("{% for %}")
