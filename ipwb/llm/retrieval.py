"""Pick the few tables a question needs out of hundreds, without any model.

A prompt cannot hold a whole warehouse, and the model can only use tables it is shown, so
retrieval quality bounds NL→SQL quality (hence recall@k in :mod:`ipwb.llm.evaluate`).
The method is deliberately simple and explainable:

1. tokenize question and catalog text, lower-case, drop stop words, light stemming;
2. expand question tokens with synonyms (built-in business vocabulary + the catalog's own);
3. score each table: for every question token, the best field it matches (table name >
   description > column name > column description), weighted by the token's rarity (IDF);
4. FK expansion: a table one foreign-key hop from a strong match gets a share of its score,
   so join partners (lines of an invoice, the partner of a payment) come along;
5. keep the top ``k``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence

from ipwb.llm.catalog import Catalog, Table

#: weights of where a token is found in a table's metadata
FIELD_WEIGHTS: dict[str, float] = {
    "table": 3.0,
    "description": 1.5,
    "column": 1.2,
    "column_description": 0.6,
    "schema": 0.5,
}
#: share of a matched table's score given to its FK neighbours
FK_SHARE = 0.35


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


STOP_WORDS = frozenset(
    _words(
        """a an and are as at be by do does did for from how i in is it its me my of on or our per
        show shows list give get what which who whom whose with the to this that these those than
        all any each every much many there their them they was were will would can could should
        please find tell total number count vs versus between during into over under last first top"""
    )
)

#: generic business vocabulary; a catalog's own ``synonyms`` are merged on top
DEFAULT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer": ("partner", "client", "buyer"),
    "client": ("customer", "partner"),
    "vendor": ("supplier", "partner", "payee"),
    "supplier": ("vendor", "partner", "payee"),
    "revenue": ("sale", "income", "invoice"),
    "sale": ("revenue", "invoice", "customer"),
    "spend": ("expense", "purchase", "cost"),
    "cost": ("expense", "amount"),
    "paid": ("payment",),
    "pay": ("payment",),
    "money": ("amount",),
    "month": ("period",),
    "quarter": ("period",),
    "year": ("period", "fiscal"),
    "bill": ("invoice", "vendor"),
}
_MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
DEFAULT_SYNONYMS.update(dict.fromkeys(_MONTHS, ("month", "period")))

_TOKEN = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """Light suffix stripping: enough to match "invoices"/"invoice", "payments"/"payment".

    >>> [stem(w) for w in ("invoices", "categories", "taxes", "withheld", "paying", "vat")]
    ['invoice', 'category', 'tax', 'withheld', 'pay', 'vat']
    """
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)] + replacement
    if word.endswith("ing") and len(word) >= 6:
        return word[:-3]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens (identifiers split on ``_``), stemmed, without stop words."""
    words = _TOKEN.findall(text.lower().replace("_", " "))
    return [stem(w) for w in words if w not in STOP_WORDS]


@dataclasses.dataclass(frozen=True)
class Retrieved:
    table: Table
    score: float
    #: question tokens that matched, and the FK neighbour that pulled it in (if any)
    matched: tuple[str, ...] = ()
    via: str = ""

    @property
    def qualified(self) -> str:
        return self.table.qualified


class SchemaIndex:
    """Pre-tokenised catalog; build once, query per question."""

    def __init__(self, catalog: Catalog, synonyms: Mapping[str, Sequence[str]] | None = None) -> None:
        self.catalog = catalog
        merged: dict[str, set[str]] = {}
        for source in (DEFAULT_SYNONYMS, catalog.synonyms, synonyms or {}):
            for key, values in source.items():
                merged.setdefault(stem(key.lower()), set()).update(t for v in values for t in tokenize(v))
        self.synonyms = merged
        self._fields: dict[str, dict[str, float]] = {t.qualified: _field_weights(t) for t in catalog.tables}
        doc_freq: dict[str, int] = {}
        for weights in self._fields.values():
            for token in weights:
                doc_freq[token] = doc_freq.get(token, 0) + 1
        n = max(len(self._fields), 1)
        self._idf = {tok: math.log(1 + n / df) for tok, df in doc_freq.items()}

    def query_tokens(self, question: str) -> dict[str, float]:
        """Question tokens with weights: 1.0 as written, 0.5 for a synonym expansion."""
        tokens: dict[str, float] = {}
        for token in tokenize(question):
            tokens[token] = 1.0
        for token in list(tokens):
            for synonym in self.synonyms.get(token, ()):
                tokens.setdefault(synonym, 0.5)
        return tokens

    def search(self, question: str, k: int = 10) -> list[Retrieved]:
        query = self.query_tokens(question)
        direct: dict[str, tuple[float, tuple[str, ...]]] = {}
        for name, weights in self._fields.items():
            score, matched = 0.0, []
            for token, q_weight in query.items():
                field_weight = weights.get(token)
                if field_weight:
                    score += q_weight * field_weight * self._idf[token]
                    matched.append(token)
            if score > 0:
                direct[name] = (score, tuple(matched))
        results: dict[str, Retrieved] = {
            name: Retrieved(self.catalog.get(name), score, matched)  # type: ignore[arg-type]
            for name, (score, matched) in direct.items()
        }
        seeds = sorted(direct, key=lambda n: -direct[n][0])[:k]
        for seed in seeds:
            bonus = direct[seed][0] * FK_SHARE
            for neighbour in self.catalog.neighbours(seed):
                current = results.get(neighbour)
                table = self.catalog.get(neighbour)
                if table is None:
                    continue
                if current is None:
                    results[neighbour] = Retrieved(table, bonus, (), via=seed)
                elif not current.via and bonus > 0:
                    results[neighbour] = dataclasses.replace(current, score=current.score + bonus, via=seed)
        ranked = sorted(results.values(), key=lambda r: (-r.score, r.qualified))
        return ranked[:k]


def _field_weights(table: Table) -> dict[str, float]:
    """Best weight per token over the table's fields."""
    weights: dict[str, float] = {}

    def add(tokens: Iterable[str], field: str) -> None:
        for token in tokens:
            weights[token] = max(weights.get(token, 0.0), FIELD_WEIGHTS[field])

    add(tokenize(table.schema), "schema")
    add(tokenize(table.name), "table")
    add(tokenize(table.description), "description")
    for column in table.columns:
        add(tokenize(column.name), "column")
        add(tokenize(column.description), "column_description")
    return weights


def retrieve(catalog: Catalog, question: str, k: int = 10) -> list[Retrieved]:
    """One-shot convenience; build a :class:`SchemaIndex` to reuse across questions."""
    return SchemaIndex(catalog).search(question, k)
