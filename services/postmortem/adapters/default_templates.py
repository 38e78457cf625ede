"""The built-in postmortem template (Markdown and HTML), used when no stored template is the default."""

MARKDOWN = """\
# Postmortem: {{ pm.incident.reference }} {{ pm.incident.title }}

Status: {{ pm.status }} | Severity: {{ pm.incident.severity }} | Priority: {{ pm.incident.priority }}\
{% if pm.incident.team %} | Team: {{ pm.incident.team }}{% endif %}

## Summary

{{ pm.text.summary }}

## Customer impact

{% for w in pm.customer_impact.windows -%}
- {{ w.start_at | when }} to {{ w.end_at | when if w.end_at else "ongoing" }} \
({{ w.duration_seconds | duration }}): {{ w.description }}
{% else -%}
No customer impact was recorded.
{% endfor %}
Total customer impact: {{ pm.customer_impact.total_seconds | duration }}

## Key times

| Moment | Time |
| --- | --- |
{% for name in ["detected", "acknowledged", "stable", "resolved"] -%}
| {{ name | capitalize }} | {{ pm.key_times[name] | when }} |
{% endfor %}
- Time to acknowledge: {{ pm.durations.time_to_acknowledge | duration }}
- Time to mitigate: {{ pm.durations.time_to_mitigate | duration }}
- Time to resolve: {{ pm.durations.time_to_resolve | duration }}

## SLA outcome

{% for o in pm.sla -%}
- {{ o.target }} (cycle {{ o.cycle }}): {{ o.state }}{% if o.target_seconds %}, target \
{{ o.target_seconds | duration }}{% endif %}{% if o.overdue_seconds %}, overdue {{ o.overdue_seconds | duration }}\
{% endif %}
{% else -%}
No SLA outcome was recorded.
{% endfor %}
## Escalation path

{% for s in pm.escalation_path -%}
- {{ s.at | when }}: {{ s.kind }}{% if s.level is not none %} level {{ s.level }}{% endif %}\
{% if s.team %} to {{ s.team }}{% endif %}{% if s.to_team %} to {{ s.to_team }}{% endif %}\
{% if s.users %} ({{ s.users | join(", ") }}){% endif %}{% if s.reason %}: {{ s.reason }}{% endif %}
{% else -%}
No escalation was recorded.
{% endfor %}
## Timeline ({{ "important entries" if pm.timeline_mode == "important" else "all entries" }})

{% for e in pm.timeline -%}
- {{ e.occurred_at | when }}{% if e.time_edited %} (edited, first recorded at \
{{ e.original_occurred_at | when }}){% endif %}: {{ e.summary }}{% if e.actor %} ({{ e.actor }}){% endif %}
{% else -%}
No timeline entries.
{% endfor %}
## Root cause

{{ pm.text.root_cause or "To be written." }}

## Detection method

{{ pm.text.detection_method or "To be written." }}

## What went well

{{ pm.text.went_well or "To be written." }}

## What went wrong

{{ pm.text.went_wrong or "To be written." }}

## Action items

{% for a in pm.action_items -%}
- [{{ "x" if a.status == "done" else " " }}] {{ a.title }} (owner: {{ a.owner or "unassigned" }}, \
due: {{ a.due_date or "none" }}, priority: {{ a.priority }}, status: {{ a.status }})
{% else -%}
No action items yet.
{% endfor %}"""

HTML = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Postmortem: {{ pm.incident.reference }} {{ pm.incident.title }}</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.edited{color:#a60}</style></head>
<body>
<h1>Postmortem: {{ pm.incident.reference }} {{ pm.incident.title }}</h1>
<p>Status: {{ pm.status }} | Severity: {{ pm.incident.severity }} | Priority: {{ pm.incident.priority }}\
{% if pm.incident.team %} | Team: {{ pm.incident.team }}{% endif %}</p>
<h2 id="summary">Summary</h2><p>{{ pm.text.summary }}</p>
<h2 id="customer-impact">Customer impact</h2><ul>
{% for w in pm.customer_impact.windows %}<li>{{ w.start_at | when }} to \
{{ w.end_at | when if w.end_at else "ongoing" }} ({{ w.duration_seconds | duration }}): {{ w.description }}</li>
{% else %}<li>No customer impact was recorded.</li>{% endfor %}</ul>
<p>Total customer impact: {{ pm.customer_impact.total_seconds | duration }}</p>
<h2 id="key-times">Key times</h2><table><tr><th>Moment</th><th>Time</th></tr>
{% for name in ["detected", "acknowledged", "stable", "resolved"] %}<tr><td>{{ name | capitalize }}</td>\
<td>{{ pm.key_times[name] | when }}</td></tr>
{% endfor %}</table><ul>
<li>Time to acknowledge: {{ pm.durations.time_to_acknowledge | duration }}</li>
<li>Time to mitigate: {{ pm.durations.time_to_mitigate | duration }}</li>
<li>Time to resolve: {{ pm.durations.time_to_resolve | duration }}</li></ul>
<h2 id="sla">SLA outcome</h2><ul>
{% for o in pm.sla %}<li>{{ o.target }} (cycle {{ o.cycle }}): {{ o.state }}</li>
{% else %}<li>No SLA outcome was recorded.</li>{% endfor %}</ul>
<h2 id="escalation-path">Escalation path</h2><ul>
{% for s in pm.escalation_path %}<li>{{ s.at | when }}: {{ s.kind }}{% if s.level is not none %} level \
{{ s.level }}{% endif %}{% if s.team %} to {{ s.team }}{% endif %}{% if s.to_team %} to {{ s.to_team }}{% endif %}\
{% if s.users %} ({{ s.users | join(", ") }}){% endif %}</li>
{% else %}<li>No escalation was recorded.</li>{% endfor %}</ul>
<h2 id="timeline">Timeline</h2><ul>
{% for e in pm.timeline %}<li><time>{{ e.occurred_at | when }}</time>{% if e.time_edited %} \
<span class="edited">(edited, first recorded at {{ e.original_occurred_at | when }})</span>{% endif %}: \
{{ e.summary }}{% if e.actor %} ({{ e.actor }}){% endif %}</li>
{% else %}<li>No timeline entries.</li>{% endfor %}</ul>
<h2 id="root-cause">Root cause</h2><p>{{ pm.text.root_cause or "To be written." }}</p>
<h2 id="detection-method">Detection method</h2><p>{{ pm.text.detection_method or "To be written." }}</p>
<h2 id="went-well">What went well</h2><p>{{ pm.text.went_well or "To be written." }}</p>
<h2 id="went-wrong">What went wrong</h2><p>{{ pm.text.went_wrong or "To be written." }}</p>
<h2 id="action-items">Action items</h2><ul>
{% for a in pm.action_items %}<li>{{ a.title }} (owner: {{ a.owner or "unassigned" }}, due: \
{{ a.due_date or "none" }}, priority: {{ a.priority }}, status: {{ a.status }})</li>
{% else %}<li>No action items yet.</li>{% endfor %}</ul>
</body></html>"""
