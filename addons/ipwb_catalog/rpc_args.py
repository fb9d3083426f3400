# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Checks of the arguments the web client sends to the workbench's public methods.

Every method the UI calls over RPC (``orm.call``, a controller) passes its arguments
through these checks first, so bad input (a huge or negative number, a float, a dict
where a name is expected, text with NUL bytes or of a megabyte) is refused with a clear,
translated :class:`~odoo.exceptions.UserError` before anything runs, instead of surfacing
as a traceback (``OverflowError``, PostgreSQL's "integer out of range", ``TypeError``).

Rules: numbers are whole (never ``bool`` nor ``float``) and within bounds that fit the
PostgreSQL column they reach (``int4`` ids and offsets); text is ``str`` without NUL
(PostgreSQL text cannot hold it) and at most a given length; lists and mappings have a
type and a size; choices are compared as text only; record ids are ``int4`` ids of records
that exist. ``None``/``False`` mean "not given" where an argument is optional.
"""

import math

from odoo import models
from odoo.exceptions import UserError

#: PostgreSQL ``integer`` (ids, offsets)
INT4_MAX = 2**31 - 1
#: PostgreSQL ``bigint`` (bound SQL parameter values)
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
#: longest SQL text accepted from the editor, Genie or an export (characters)
MAX_SQL = 200_000
#: longest table/column name or other short name
MAX_NAME = 512
#: bound parameters per statement, and the longest text value of one
MAX_PARAMS = 200
MAX_PARAM_TEXT = 100_000


def _number(value):
    return f"{value:,}"


def _given(value):
    return value is not None and value is not False


def whole_number(env, value, what, low, high, *, default=None):
    """``value`` as an int in ``low..high``; ``default`` when not given (None/False) and a
    default exists. Floats, booleans, text and anything else are refused."""
    if not _given(value) and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(
            env._(
                "%(what)s must be a whole number between %(low)s and %(high)s.",
                what=what,
                low=_number(low),
                high=_number(high),
            )
        )
    return value


def record_id(env, value, what, required=False):
    """An ``int4`` record id, or ``False`` when optional and not given (None/False/0)."""
    if not required and (not _given(value) or (type(value) is int and value == 0)):
        return False
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT4_MAX:
        raise UserError(env._("%(what)s must be the id of a record.", what=what))
    return value


def text(env, value, what, max_length, *, default="", required=False):
    """``value`` as text of at most ``max_length`` characters without NUL; ``default``
    when not given (None/False) unless ``required``."""
    if not _given(value) and not required:
        return default
    if not isinstance(value, str):
        raise UserError(env._("%(what)s must be text.", what=what))
    if "\x00" in value:
        raise UserError(env._("%(what)s must not contain NUL characters.", what=what))
    if len(value) > max_length:
        raise UserError(
            env._("%(what)s is limited to %(max)s characters.", what=what, max=_number(max_length))
        )
    if required and not value:
        raise UserError(env._("%(what)s must not be empty.", what=what))
    return value


def text_list(env, value, what, max_items, max_length):
    """A list (or tuple) of at most ``max_items`` non-empty texts; [] when not given."""
    if not _given(value):
        return []
    if not isinstance(value, list | tuple):
        raise UserError(env._("%(what)s must be a list of names.", what=what))
    if len(value) > max_items:
        raise UserError(env._("%(what)s is limited to %(max)s entries.", what=what, max=_number(max_items)))
    return [text(env, item, what, max_length, required=True) for item in value]


def id_list(env, value, what, max_items=1000):
    """A list of ``int4`` record ids (a single id is a list of one); [] when not given."""
    if not _given(value):
        return []
    values = value if isinstance(value, list | tuple) else [value]
    if len(values) > max_items:
        raise UserError(env._("%(what)s is limited to %(max)s entries.", what=what, max=_number(max_items)))
    return [record_id(env, item, what, required=True) for item in values]


def choice(env, value, what, choices):
    """One of ``choices`` (texts); anything else, of any type, is refused."""
    if not isinstance(value, str) or value not in choices:
        raise UserError(env._("%(what)s must be one of: %(choices)s.", what=what, choices=", ".join(choices)))
    return value


def sql_text(env, value, what=None, required=False):
    """SQL text from the editor, Genie or an export ("" when not given)."""
    return text(env, value, what or env._("The SQL text"), MAX_SQL, required=required)


def sql_params(env, value):
    """``{{name}}`` parameter values: a mapping of names to scalars (text, whole numbers
    within ``bigint``, numbers, booleans, null); {} when not given."""
    if not _given(value):
        return {}
    if not isinstance(value, dict):
        raise UserError(env._("Parameters must be a mapping of names to values."))
    if len(value) > MAX_PARAMS:
        raise UserError(env._("At most %s parameters may be given.", MAX_PARAMS))
    checked = {}
    for given_name, item in value.items():
        name = text(env, given_name, env._("A parameter name"), MAX_NAME, required=True)
        checked[name] = _param_value(env, name, item)
    return checked


def _param_value(env, name, item):
    if isinstance(item, str):
        return text(env, item, env._("Parameter %s", name), MAX_PARAM_TEXT)
    if isinstance(item, int) and not isinstance(item, bool):
        return whole_number(env, item, env._("Parameter %s", name), INT8_MIN, INT8_MAX)
    if item is not None and not isinstance(item, bool | float):
        raise UserError(env._("Parameter %s must be text, a number, true/false or null.", name))
    return item


def check_ids(records, what):
    """Refuse a recordset whose ids (from the client, as ``browse`` took them) are not
    ``int4`` record ids; returns it."""
    for value in records._ids:
        record_id(records.env, value, what, required=True)
    return records


def check_records(records, what, *, single=False):
    """Refuse a recordset whose ids (from the client) are not ``int4`` ids of existing
    records, or (``single``) that is not exactly one record."""
    env = records.env
    if single and len(records._ids) != 1:
        raise UserError(env._("%(what)s must be exactly one record.", what=what))
    check_ids(records, what)
    if len(records.exists()) != len(set(records._ids)):
        raise UserError(env._("%(what)s does not exist (any more).", what=what))
    return records


def check_vals_list(model, vals_list):
    """``create``'s argument: a list of value mappings (each checked by :func:`check_vals`)."""
    if not isinstance(vals_list, list | tuple):
        raise UserError(model.env._("The records to create must be a list of values."))
    for vals in vals_list:
        check_vals(model, vals)
    return vals_list


def check_vals(model, vals):
    """Refuse ``create``/``write`` values the ORM would fail on with a traceback: unknown
    fields, text with NUL, numbers out of ``int4``/non-finite floats, values of the wrong
    type, selection values that do not exist, malformed x2many commands.

    For the models the UI writes to directly (``orm.write``/``orm.create``); ``False``/``None``
    (clearing a field) is always accepted."""
    env = model.env
    if not isinstance(vals, dict):
        raise UserError(env._("The values to save must be a mapping of field names to values."))
    for name, value in vals.items():
        field = model._fields.get(name) if isinstance(name, str) else None
        if field is None:
            raise UserError(env._("%(model)s has no field %(field)s.", model=model._description, field=name))
        if value is None or value is False:
            continue
        _check_field_value(model, field, value)


def _check_field_value(model, field, value):
    env = model.env
    what = field._description_string(env)
    kind = field.type
    if kind in ("char", "text", "html"):
        text(env, value, what, field.size or MAX_SQL)
    elif kind == "integer":
        whole_number(env, value, what, -INT4_MAX - 1, INT4_MAX)
    elif kind in ("float", "monetary"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise UserError(env._("%s must be a number.", what))
    elif kind == "boolean":
        if not isinstance(value, bool | int):
            raise UserError(env._("%s must be true or false.", what))
    elif kind == "selection":
        choice(env, value, what, [key for key, _label in field._description_selection(env)])
    elif kind == "many2one":
        if not isinstance(value, models.BaseModel):
            record_id(env, value, what, required=True)
    elif kind in ("many2many", "one2many"):
        _check_commands(model.env[field.comodel_name], value, what)
    elif kind in ("date", "datetime"):
        try:
            field.convert_to_cache(value, model)
        except (TypeError, ValueError, OverflowError):
            raise UserError(env._("%s must be a date.", what)) from None


def _check_commands(comodel, value, what):
    """x2many commands: ``(0, _, vals)``, ``(1, id, vals)``, ``(2|3|4, id)``, ``(5,)``, ``(6, _, ids)``."""
    env = comodel.env
    if not isinstance(value, list | tuple):
        raise UserError(env._("%s must be a list of commands.", what))
    for command in value:
        if not isinstance(command, list | tuple) or not command:
            raise UserError(env._("%s must be a list of commands.", what))
        code = whole_number(env, command[0], what, 0, 6)
        if code in (1, 2, 3, 4):
            record_id(env, command[1] if len(command) > 1 else None, what, required=True)
        if code == 6:
            id_list(env, command[2] if len(command) > 2 else None, what)
        elif code in (0, 1):
            check_vals(comodel, command[2] if len(command) > 2 else None)
