"""HTTP routes of the notify service."""


def blueprints() -> list:
    from services.notify.entrypoints.config import contacts_blp, rules_blp, templates_blp
    from services.notify.entrypoints.notifications import blp

    return [contacts_blp, rules_blp, templates_blp, blp]
