"""FastDumpSchema dumps exactly what marshmallow's own Schema.dump does, shortcut or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import strategies as st
from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, post_dump, validate

from libs.common.fast_schema import FastDumpSchema, FastLoadSchema
from services.incident.entrypoints.schemas import IncidentSchema


class Item(Schema):
    name = fields.String()


class Fields:
    text = fields.String(allow_none=True)
    count = fields.Integer()
    counted = fields.Integer(as_string=True)
    flag = fields.Boolean()
    at = fields.DateTime(allow_none=True)
    stamp = fields.DateTime(format="timestamp")
    renamed = fields.String(data_key="other")
    moved = fields.String(attribute="elsewhere")
    defaulted = fields.String(dump_default="d")
    things = fields.List(fields.Nested(Item))
    tags = fields.List(fields.String())
    raw = fields.Raw()
    keys = fields.String()  # a dict's own attribute name


class Plain(Fields, Schema):
    pass


class Fast(Fields, FastDumpSchema):
    pass


values = st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 5), st.booleans(), st.floats(allow_nan=False),
                   st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=2))])),
                   st.lists(st.fixed_dictionaries({"name": st.text(max_size=3)}), max_size=2))
names = st.sampled_from(["text", "count", "counted", "flag", "at", "renamed", "other", "moved", "elsewhere",
                         "defaulted", "things", "tags", "raw", "keys", "unknown"])


def same(obj):
    try:
        expected = Plain().dump(obj)
    except Exception as exc:  # noqa: BLE001 - then the fast path must fail alike
        expected = type(exc)
    try:
        got = Fast().dump(obj)
    except Exception as exc:  # noqa: BLE001
        got = type(exc)
    assert got == expected
    if isinstance(got, dict):
        assert list(got) == list(expected)
        assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


@given(st.dictionaries(names, values, max_size=8))
@example({"at": datetime(2020, 1, 1, tzinfo=UTC), "count": True, "flag": 1, "text": None, "renamed": 3})
def test_dicts_dump_as_marshmallow_dumps_them(obj):
    same(obj)


def test_the_incident_response_dumps_as_before():
    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    body = {name: None for name in IncidentSchema().dump_fields}
    body.update(id="i", reference="INC-1", title="t", private=False, escalation_level=0, created_at=now,
                updated_at=now, sequence=1, version=1, configuration_items=[{"name": "db", "kind": "x"}],
                allowed_actions=["acknowledge"])
    plain = type("PlainIncident", (Schema,), dict(IncidentSchema._declared_fields))
    assert IncidentSchema().dump(body) == plain().dump(body)
    assert IncidentSchema().dump(body, many=False) == plain().dump(body)
    assert IncidentSchema(many=True).dump([body]) == plain(many=True).dump([body])


def test_hooks_and_objects_take_marshmallow_path():
    class Hooked(Fast):
        @post_dump
        def mark(self, data, **kwargs):
            return {**data, "hooked": True}

    dumped = Hooked().dump({"text": "a"})
    assert dumped["hooked"] is True and dumped["text"] == "a" and dumped["defaulted"] == "d"

    class Obj:
        text = "a"
        count = 3

    assert Fast().dump(Obj()) == Plain().dump(Obj())


class LoadFields:
    name = fields.String(required=True, validate=validate.Length(min=1, max=3))
    note = fields.String(allow_none=True)
    count = fields.Integer(validate=validate.Range(min=0, max=9))
    strict = fields.Integer(strict=True)
    flag = fields.Boolean()
    at = fields.DateTime()
    keyed = fields.String(data_key="other")
    moved = fields.String(attribute="elsewhere")
    defaulted = fields.String(load_default="d")
    shown = fields.String(dump_only=True)
    things = fields.List(fields.Nested(Item))
    shouted = fields.String(allow_none=True, pre_load=[lambda v: v or "none"], post_load=[str.upper])


class PlainLoad(LoadFields, Schema):
    pass


class FastLoad(LoadFields, FastLoadSchema):
    pass


load_values = st.one_of(st.none(), st.text(max_size=4), st.integers(-2, 12), st.booleans(), st.floats(),
                        st.just("2026-01-02T03:04:05+00:00"), st.just("3"),
                        st.lists(st.fixed_dictionaries({"name": st.one_of(st.text(max_size=3), st.integers())}),
                                 max_size=2))
load_names = st.sampled_from(["name", "note", "count", "strict", "flag", "at", "keyed", "other", "moved",
                              "elsewhere", "defaulted", "shown", "things", "shouted", "unknown"])


def outcome(schema, data, how):
    try:
        return "ok", (schema.load(data) if how == "load" else schema.validate(data))
    except ValidationError as exc:
        return "error", exc.messages


@given(st.dictionaries(load_names, load_values, max_size=8), st.sampled_from([RAISE, EXCLUDE, INCLUDE]),
       st.sampled_from(["load", "validate"]))
@example({"name": "ab", "count": 3, "other": "x"}, RAISE, "load")
@example({"name": "ab", "count": 3, "other": "x", "extra": 1}, RAISE, "validate")
@example({"name": "abcd", "count": 30}, EXCLUDE, "load")
@example({"name": "ab", "shouted": None, "note": None}, RAISE, "load")
@example({"name": "ab", "shouted": "x"}, RAISE, "load")
def test_loads_and_validations_match_marshmallow(data, unknown, how):
    assert outcome(FastLoad(unknown=unknown), data, how) == outcome(PlainLoad(unknown=unknown), data, how)


def test_the_incident_event_check_and_request_load_match_marshmallow():
    from services.incident.entrypoints.schemas import IncidentCreateSchema
    from services.incident.events import IncidentEventSchema

    plain_create = type("PlainCreate", (Schema,), dict(IncidentCreateSchema._declared_fields))
    for body in ({"title": "t", "severity": "major", "priority": "high"},
                 {"title": "", "severity": "major", "priority": "high", "team": None},
                 {"title": "t", "severity": "nope", "priority": "high", "junk": 1}):
        assert outcome(IncidentCreateSchema(), body, "load") == outcome(plain_create(), body, "load")
    plain_event = type("PlainEvent", (Schema,), dict(IncidentEventSchema._declared_fields))
    event = {"id": "i", "reference": "INC-1", "title": "t", "severity": "major", "priority": "high"}
    for data in (event, {**event, "severity": "nope"}, {**event, "extra": 1}):
        assert outcome(IncidentEventSchema(unknown=RAISE), data, "validate") == \
            outcome(plain_event(unknown=RAISE), data, "validate")
