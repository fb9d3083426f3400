"""Schema retrieval: tokenising, synonyms, FK expansion, scale to hundreds of tables."""

from __future__ import annotations

import doctest
import random
from typing import Any

import ipwb.llm.retrieval
from ipwb.llm.catalog import Catalog
from ipwb.llm.retrieval import SchemaIndex, tokenize


def test_doctests() -> None:
    assert doctest.testmod(ipwb.llm.retrieval).failed == 0


def test_tokenize_splits_identifiers_and_drops_stop_words() -> None:
    assert tokenize("What are the invoice_lines of payees?") == ["invoice", "line", "payee"]


def _catalog() -> Catalog:
    return Catalog.from_data(
        {
            "tables": [
                {
                    "schema": "s",
                    "name": "invoices",
                    "description": "Customer invoices",
                    "columns": [{"name": "invoice_id"}, {"name": "partner_id"}],
                    "foreign_keys": [{"columns": ["partner_id"], "references": "s.partners"}],
                },
                {
                    "schema": "s",
                    "name": "partners",
                    "description": "Companies we trade with",
                    "columns": [{"name": "partner_id"}, {"name": "tin"}],
                },
                {
                    "schema": "s",
                    "name": "weather",
                    "description": "Daily temperature",
                    "columns": [{"name": "day"}, {"name": "celsius"}],
                },
            ],
            "synonyms": {"client": ["invoice"]},
        }
    )


def test_fk_neighbour_is_pulled_in_and_explained() -> None:
    found = SchemaIndex(_catalog()).search("list invoices", k=5)
    names = [r.qualified for r in found]
    assert names[0] == "s.invoices"
    assert "s.partners" in names and "s.weather" not in names
    partners = next(r for r in found if r.qualified == "s.partners")
    assert partners.via == "s.invoices"


def test_synonyms_from_catalog_and_defaults() -> None:
    index = SchemaIndex(_catalog())
    assert index.search("what did each client buy", k=1)[0].qualified == "s.invoices"
    assert index.search("customer tin", k=1)[0].qualified in {"s.partners", "s.invoices"}


def distractors(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    subjects = [
        "stock",
        "warehouse",
        "shipment",
        "campaign",
        "click",
        "session",
        "attendance",
        "shift",
        "sensor",
        "ticket",
        "lead",
    ]
    facets = ["daily", "snapshot", "event", "log", "dim", "fact", "status", "history", "metric", "forecast"]
    words = [
        "quantity",
        "location",
        "sku",
        "channel",
        "visitor",
        "badge",
        "reading",
        "priority",
        "owner",
        "score",
        "region",
    ]
    tables = []
    for i in range(count):
        subject, facet = rng.choice(subjects), rng.choice(facets)
        cols = [
            {"name": f"{w}_{j}", "description": f"{w} of the {subject}"}
            for j, w in enumerate(rng.sample(words, 5))
        ]
        tables.append(
            {
                "schema": f"ops{i % 7}",
                "name": f"{subject}_{facet}_{i}",
                "description": f"{facet} of {subject} data",
                "columns": cols,
            }
        )
    return tables
