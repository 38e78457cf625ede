"""HTTP routes of the sla service."""


def blueprints() -> list:
    from services.sla.entrypoints.admin import calendars_blp, policies_blp
    from services.sla.entrypoints.incidents import blp

    return [policies_blp, calendars_blp, blp]
