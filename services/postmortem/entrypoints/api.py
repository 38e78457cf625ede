"""HTTP routes of the postmortem service."""


def blueprints() -> list:
    from services.postmortem.entrypoints import action_items, postmortems, templates

    return [postmortems.blp, action_items.blp, templates.blp]
