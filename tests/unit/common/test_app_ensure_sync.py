"""FirebreakFlask remembers ensure_sync's answer per function, and answers as Flask does."""

from __future__ import annotations

from flask import Flask

from libs.common.app import FirebreakFlask


def test_ensure_sync_answers_as_flask_and_remembers_functions():
    app, flask = FirebreakFlask(__name__), Flask(__name__)

    def view():
        return "ok"

    assert app.ensure_sync(view) is flask.ensure_sync(view) is view
    assert app._sync == {view: view}
    bound = "text".upper  # not a plain function: asked anew, never remembered
    assert app.ensure_sync(bound) == flask.ensure_sync(bound)
    assert list(app._sync) == [view]


def test_the_remembered_functions_are_bounded():
    app = FirebreakFlask(__name__)
    app._SYNC_LIMIT = 2
    functions = [lambda n=n: n for n in range(4)]
    assert [app.ensure_sync(f) for f in functions] == functions
    assert len(app._sync) == 2
