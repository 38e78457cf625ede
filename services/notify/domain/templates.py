"""The built-in templates: a subject and a body per category, for every channel unless a channel has its own."""

from __future__ import annotations

SUBJECT = "[{{ incident.reference }}] {{ incident.title }}"
PAGE_SUBJECT = "PAGE [{{ incident.reference }}] {{ incident.severity }}/{{ incident.priority }}: {{ incident.title }}"
PAGE_BODY = """You are paged for {{ incident.reference }}: {{ incident.title }}
Severity {{ incident.severity }}, priority {{ incident.priority }}, status {{ incident.status }}\
{% if incident.team %}, team {{ incident.team }}{% endif %}.
{% if incident.commander %}Commander: {{ incident.commander }}
{% endif %}{% for link in incident.links %}{{ link.title }}: {{ link.url }}
{% endfor %}{% if ack_url %}Acknowledge: {{ ack_url }}{% endif %}"""
UPDATE_BODY = """{{ incident.reference }} {{ incident.title }}: {{ event.summary }}
Severity {{ incident.severity }}, priority {{ incident.priority }}, status {{ incident.status }}\
{% if incident.commander %}, commander {{ incident.commander }}{% endif %}."""
MANUAL_BODY = """{{ message }}

{{ incident.reference }} {{ incident.title }} ({{ incident.status }}, {{ incident.priority }})"""
SHORT_PAGE_BODY = """{{ incident.reference }} {{ incident.severity }}/{{ incident.priority }}: {{ incident.title }}\
{% if ack_url %} {{ ack_url }}{% endif %}"""

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("page", "*"): (PAGE_SUBJECT, PAGE_BODY),
    ("page", "apprise"): (PAGE_SUBJECT, SHORT_PAGE_BODY),
    ("update", "*"): (SUBJECT, UPDATE_BODY),
    ("manual", "*"): (SUBJECT, MANUAL_BODY),
}

EVENT_SUMMARIES = {
    "declared": "declared", "updated": "details changed", "status_changed": "status changed",
    "assigned": "assigned", "acknowledged": "acknowledged", "priority_changed": "priority changed",
    "severity_changed": "severity changed", "resolved": "resolved", "closed": "closed", "reopened": "reopened",
    "escalated": "escalated", "sla_warning": "SLA target nearly due", "sla_breached": "SLA target breached",
    "postmortem_published": "postmortem published", "page": "paged", "manual": "update",
}


def default_template(category: str, channel: str) -> tuple[str, str]:
    """The built-in (subject, body) for a category and channel."""
    return DEFAULTS.get((category, channel)) or DEFAULTS[(category if category in ("page", "manual") else "update",
                                                          "*")]
