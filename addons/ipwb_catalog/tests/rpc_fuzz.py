# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Fuzzing the public methods the web client calls over RPC (shared by every addon's
``test_rpc_fuzz``).

Each addon lists its entry points as data (:class:`Entry`: model, method, the group of the
non-admin user who calls it, and how its arguments are drawn). :func:`fuzz_entry` calls the
method through ``odoo.api.call_kw`` (as the web client's ``/web/dataset/call_kw`` does) with
hypothesis-generated arguments: huge and negative numbers, floats, NaN and infinities, text
with NUL bytes or of a megabyte, lists, dicts, ``None``, nested junk, mixed with plausible
values. Only ``UserError`` (and its subclasses ``AccessError``, ``ValidationError``,
``MissingError``) may escape; each call runs in a savepoint and the cursor must still work
afterwards. Runs are derandomized (the same examples every time) and bounded.
"""

import dataclasses
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg2 import IntegrityError

from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import _as_validation_error
from odoo.tools import mute_logger

#: what a public method may raise for bad input
ALLOWED = (UserError, AccessError, ValidationError)
EXAMPLES = 40

HUGE_INTS = [2**31 - 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**12, 10**30, 10**100]
BIG_TEXTS = ["x" * 1_000_001, "\x00" * 10, "a\x00b", "é" * 300_000, "{{" * 1000, "'" * 5000]


def _scalars():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(HUGE_INTS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.text(alphabet="\x00ab.{}", max_size=10),
        st.sampled_from(BIG_TEXTS),
    )


#: any JSON-ish value, nested
JUNK = st.recursive(
    _scalars(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def arg(*plausible):
    """One argument: junk, or one of the ``plausible`` values."""
    if not plausible:
        return JUNK
    return st.one_of(JUNK, st.sampled_from(plausible))


def ids(*plausible):
    """Record ids as the client sends them (``browse`` takes them as they come; a lone
    boolean or float is refused by ``call_kw``'s own ``browse`` before any method runs)."""
    shapes = st.one_of(
        st.none(),
        st.integers(),
        st.sampled_from(HUGE_INTS),
        st.text(max_size=5),
        st.lists(st.one_of(st.integers(), st.sampled_from(HUGE_INTS), st.text(max_size=3)), max_size=3),
    )
    return st.one_of(shapes, st.sampled_from(plausible)) if plausible else shapes


@dataclasses.dataclass(frozen=True)
class Entry:
    """A public method the UI calls: ``model.method`` as a user of ``group``.

    ``arguments(case)`` returns a strategy of ``(args, kwargs)``; for a record method
    (``records=True``) ``args[0]`` are the ids, as in ``call_kw``."""

    model: str
    method: str
    group: str
    arguments: Callable
    records: bool = False

    def __str__(self):
        return f"{self.model}.{self.method}"


def positional(*strategies):
    return st.tuples(*strategies).map(lambda args: (list(args), {}))


def keywords(**strategies):
    return st.fixed_dictionaries({}, optional=strategies).map(lambda kwargs: ([], kwargs))


def call(case, entry, args, kwargs, user):
    """Call ``entry`` as ``user`` in a savepoint; return the exception raised, if any.

    As the RPC service does (``odoo.service.model.retrying``), a unique-constraint violation
    reaches the client as a ``ValidationError``."""
    env = case.env(user=user)
    try:
        with mute_logger("odoo.sql_db", "odoo.addons"):
            try:
                with env.cr.savepoint():
                    call_kw(env[entry.model], entry.method, list(args), dict(kwargs))
            except IntegrityError as exc:
                raise _as_validation_error(env, exc) from exc
    except ALLOWED as exc:
        return exc
    return None


def fuzz_entry(case, entry, user, max_examples=EXAMPLES):
    """Fuzz one entry; fail on any exception other than ``UserError`` and its kin."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(entry.arguments(case))
    def check(call_args):
        args, kwargs = call_args
        try:
            call(case, entry, args, kwargs, user)
        except Exception as exc:
            raise AssertionError(f"{entry} raised {type(exc).__name__}: {str(exc)[:300]}") from exc
        case.env.cr.execute("SELECT 1")  # the transaction is still usable
        case.assertEqual(case.env.cr.fetchone(), (1,))

    check()


def assert_refused(case, entry, user, *args, **kwargs):
    """``entry`` called with ``args``/``kwargs`` raises a ``UserError`` (and nothing else)."""
    try:
        exc = call(case, entry, args, kwargs, user)
    except Exception as other:
        raise AssertionError(f"{entry}{args!r} raised {type(other).__name__}: {other}") from other
    case.assertIsNotNone(exc, f"{entry}{args!r} was not refused")
    return exc
