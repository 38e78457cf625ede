"""marshmallow Schemas that skip the per-field machinery on the plain, valid common case; same results.

On the request path every incident POST loads its body, checks its outgoing event and dumps its response. Each
field costs marshmallow five or so calls; these take one check for a plain value and marshmallow's own path for
everything else, including every invalid input (so the errors are marshmallow's).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, missing

# Field classes whose dump returns a value of this exact type, or None, unchanged (String: str(v); Integer: int(v);
# Boolean: v). Subclasses may format differently, so the match is on the exact class.
_PLAIN = {fields.String: str, fields.Str: str, fields.Integer: int, fields.Int: int, fields.Boolean: bool,
          fields.Bool: bool}


class _ISO:
    """Marks a DateTime in ISO format: a datetime dumps as value.isoformat(), as marshmallow's "iso" does."""


def _shortcut(name: str, field: fields.Field) -> type | None:
    """The type whose values (and None) dump unchanged or as isoformat(); None: take marshmallow's own path."""
    if field.attribute is not None or field.dump_default is not missing or hasattr(dict, name) or "." in name:
        return None  # accessor subtleties (another key, defaults, dict attributes, dotted paths)
    if type(field) is fields.DateTime and field.format in (None, "iso", "iso8601"):
        return _ISO
    if type(field) in (fields.Integer, fields.Int) and field.as_string:
        return None
    return _PLAIN.get(type(field))


class FastDumpSchema(Schema):
    """Dumps a dict with one check per plain field instead of five calls; every other field as marshmallow does.

    Hooks, `many`, and objects that are not dicts take marshmallow's path unchanged. The output is the same
    (tests/unit/common/test_fast_schema.py compares the two).
    """

    _plan: list[tuple[str, str, type | None, fields.Field]] | None = None

    def _serialize(self, obj: Any, *, many: bool = False):
        if many or type(obj) is not dict or type(self).get_attribute is not Schema.get_attribute:
            return super()._serialize(obj, many=many)
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._plan = [(name, field.data_key if field.data_key is not None else name,
                                  _shortcut(name, field), field) for name, field in self.dump_fields.items()]
        ret = self.dict_class()
        for name, key, plain, field in plan:
            if plain is not None:
                value = obj.get(name, missing)
                kind = type(value)
                if value is None or kind is plain:
                    ret[key] = value
                    continue
                if plain is _ISO and kind is dt.datetime:
                    ret[key] = value.isoformat()
                    continue
            value = field.serialize(name, obj, accessor=self.get_attribute)
            if value is not missing:
                ret[key] = value
        return ret


# Field classes that load a value of this exact type unchanged (String: str(v); Integer: int(v)), validators aside.
_PLAIN_LOAD = {fields.String: str, fields.Integer: int}


class FastLoadSchema(Schema):
    """Loads (and validates) a dict by calling each field's deserialize directly; a str or int with no conversion
    to do is only run through its validators.

    Anything else takes marshmallow's path unchanged: `many`, `partial`, hooks, INCLUDE, non-dicts, unknown keys
    under RAISE, dotted attributes, and any value a field refuses (marshmallow then reports the errors).
    """

    def _do_load(self, data, *, many=None, partial=None, unknown=None, postprocess=True):
        if (many is None and not self.many or many is False) and partial is None and not self.partial \
                and type(data) is dict:
            result = self._fast_load(data, self.unknown if unknown is None else unknown)
            if result is not None:
                return result
        return super()._do_load(data, many=many, partial=partial, unknown=unknown, postprocess=postprocess)

    def _fast_load(self, data: dict, unknown: str) -> dict | None:
        plan = self.__dict__.get("_load_plan")
        if plan is None:
            plan = self._load_plan = _load_plan(self)
        steps, keys = plan
        if steps is None or unknown == INCLUDE or (unknown == RAISE and not keys.issuperset(data)):
            return None
        ret = self.dict_class()
        try:
            for key, attr, field, plain, nullable in steps:
                value = data.get(key, missing)
                if type(value) is plain:
                    if field.validators:
                        field._validate(value)
                elif value is None and nullable:
                    pass  # Field.deserialize: None is None when allowed
                else:
                    value = field.deserialize(value, key, data)
                    if value is missing:
                        continue
                ret[attr] = value
        except ValidationError:
            return None  # marshmallow's own path collects and reports every error
        return ret


def _load_plan(schema: Schema):
    if any(schema._hooks.values()):
        return None, frozenset()
    steps = []
    for name, field in schema.load_fields.items():
        attr = field.attribute or name
        if "." in attr:
            return None, frozenset()
        # Shortcuts only for fields with no load functions of their own (marshmallow 4's pre_load/post_load).
        simple = not getattr(field, "pre_load", None) and not getattr(field, "post_load", None)
        nullable = simple and field.allow_none and type(field).deserialize is fields.Field.deserialize
        plain = _PLAIN_LOAD.get(type(field)) if simple and not getattr(field, "strict", False) else None
        steps.append((field.data_key if field.data_key is not None else name, attr, field, plain, nullable))
    return steps, frozenset(key for key, *_ in steps)
