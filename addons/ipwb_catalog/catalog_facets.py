# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Facets of the catalog search: the domain of the selected facets, and the counts of a window."""

from collections import Counter

from odoo.exceptions import UserError
from odoo.tools import SQL

from . import rpc_args

FACETS = ("layer", "domain", "owner_id", "tag_ids", "kind", "connection_id")
#: facets whose values are record ids (the others are texts)
ID_FACETS = ("owner_id", "tag_ids", "connection_id")


def facet_domain(env, facets):
    """The search domain of the selected facets; unknown facets and non-id values are refused."""
    if not isinstance(facets, dict):
        raise UserError(env._("The catalog facets must be a mapping of facet names to values."))
    domain = []
    for given_key, given in facets.items():
        key = rpc_args.choice(env, given_key, env._("A catalog facet"), FACETS)
        values = [v for v in (given if isinstance(given, list | tuple) else [given]) if v is not None]
        if not values:
            continue
        if key in ID_FACETS:
            values = rpc_args.id_list(env, values, env._("Facet %s", key))
        else:
            values = rpc_args.text_list(env, values, env._("Facet %s", key), 1000, rpc_args.MAX_NAME)
        domain.append((key, "in", values))
    return domain


def _top(counter):
    """The 20 most frequent values, most frequent first, then by value."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:20]


def facets_of(Table, ids):
    """``{facet: [[value, label, count], …]}`` over the matched tables (one read of the window)."""
    env = Table.env
    out = {"__total": len(ids)}
    if not ids:
        return out | {key: [] for key in ("layer", "domain", "owner_id", "tag_ids", "kind")}
    env.cr.execute(SQL("SELECT layer, kind, domain, owner_id FROM ipwb_table WHERE id = ANY(%s)", list(ids)))
    counters = [Counter(), Counter(), Counter(), Counter()]
    for row in env.cr.fetchall():
        for counter, value in zip(counters, row, strict=True):
            if value is not None:
                counter[value] += 1
    layers, kinds, domains, owners = (_top(counter) for counter in counters)
    for key, top in (("layer", layers), ("kind", kinds)):
        labels = dict(Table._fields[key]._description_selection(env))
        out[key] = [[value, labels.get(value, value), n] for value, n in top]
    out["domain"] = [[value, value, n] for value, n in domains]
    names = {u.id: u.name for u in env["res.users"].browse([o for o, _n in owners])}
    out["owner_id"] = [[owner, names.get(owner), n] for owner, n in owners]
    env.cr.execute(
        SQL(
            "SELECT ipwb_tag_id, count(*) FROM ipwb_table_ipwb_tag_rel WHERE ipwb_table_id = ANY(%s)"
            " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
            list(ids),
        )
    )
    tags = env.cr.fetchall()
    tag_names = {t.id: t.name for t in env["ipwb.tag"].browse([t for t, _n in tags])}
    out["tag_ids"] = [[tag, tag_names.get(tag), n] for tag, n in tags]
    return out
