"""The warehouse layers: the one list of schemas pipelines build, and which of them they may write.

The medallion layers are also the schema names (``bronze``, ``silver``, ``gold``,
``platinum``). A layer may have a *staging* schema, ``<layer>_stage``, where a pipeline builds
before publishing (the finance domain builds gold in ``gold_stage`` and publishes it after
reconciliation). Nothing else — ``public``, ``bi``, ``pg_catalog``, a domain's private schema —
is written by a pipeline step: :mod:`ipwb.sql.write_scope` refuses it.
"""

from __future__ import annotations

#: warehouse layers, in data-flow order (also the warehouse schema names)
LAYERS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")
#: suffix of a layer's staging schema (``gold_stage``)
STAGE_SUFFIX = "_stage"
#: every schema a pipeline step may write: the layers and their staging schemas
WRITABLE_SCHEMAS: tuple[str, ...] = LAYERS + tuple(f"{layer}{STAGE_SUFFIX}" for layer in LAYERS)


def layer_of(schema: str) -> str | None:
    """The layer a writable schema belongs to (its own, or the one it stages), else ``None``.

    >>> layer_of("gold"), layer_of("gold_stage"), layer_of("public"), layer_of("gold_finance")
    ('gold', 'gold', None, None)
    """
    if schema in LAYERS:
        return schema
    if schema.endswith(STAGE_SUFFIX) and schema[: -len(STAGE_SUFFIX)] in LAYERS:
        return schema[: -len(STAGE_SUFFIX)]
    return None
