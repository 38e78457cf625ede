"""HTTP routes of the escalation service."""


def blueprints() -> list:
    from services.escalation.entrypoints import configuration, escalations, oncall

    return [*configuration.blueprints(), oncall.shifts_blp, oncall.oncall_blp, escalations.blp]
