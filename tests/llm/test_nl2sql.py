"""NL→SQL through the gateway and the OpenAI peer: retrieval, validation, repair loop."""

from __future__ import annotations

import pytest

from ipwb.errors import WarehouseError
from ipwb.llm.catalog import Catalog
from ipwb.llm.errors import NoModelConfigured, SqlGenerationFailed
from ipwb.llm.gateway import Gateway
from ipwb.llm.nl2sql import Nl2Sql, QueryResult
from ipwb.llm.records import MemorySink
from ipwb.testing.openai_peer import OpenAIPeer

from .conftest import make_gateway

CATALOG = Catalog.from_data(
    {
        "tables": [
            {
                "schema": "silver",
                "name": "partners",
                "description": "Customers and vendors",
                "columns": [
                    {"name": "partner_id", "type": "bigint"},
                    {"name": "partner_name", "type": "text"},
                    {"name": "tin", "type": "text", "description": "Taxpayer identification number"},
                    {"name": "partner_type", "type": "text", "description": "customer, vendor or both"},
                ],
            },
            {
                "schema": "gold",
                "name": "fin_qap",
                "description": "Quarterly alphalist of payees (vendors withheld from)",
                "columns": [
                    {"name": "partner_id", "type": "bigint"},
                    {"name": "atc", "type": "text"},
                    {"name": "tax_withheld", "type": "numeric"},
                ],
                "foreign_keys": [{"columns": ["partner_id"], "references": "silver.partners"}],
            },
            {"schema": "ops", "name": "weather", "columns": [{"name": "rain_mm", "type": "numeric"}]},
        ]
    }
)
QUESTION = "Vendors without a TIN on file"
BAD = "```sql\nSELECT partner_name FROM silver.partners WHERE vendor_tin IS NULL\n```"
GOOD = "Here you go:\n```sql\nSELECT partner_name FROM silver.partners WHERE tin IS NULL\n```"


def test_repair_loop_sends_the_error_back(peer: OpenAIPeer) -> None:
    sink = MemorySink()
    engine = Nl2Sql(CATALOG, make_gateway(peer, sink=sink), k=5)
    peer.reply(BAD)
    peer.reply(GOOD)
    result = engine.generate(QUESTION, user="fin")
    assert result.ok
    assert result.sql == "SELECT partner_name FROM silver.partners WHERE tin IS NULL"
    assert [a.error != "" for a in result.attempts] == [True, False]
    assert "vendor_tin" in result.attempts[0].error
    assert "silver.partners" in result.retrieved_tables and len(result.retrieved) <= 5
    assert result.tables == ("silver.partners",)
    # the schema went into the first prompt, the error and the bad answer into the second
    first, second = peer.requests[0].messages, peer.requests[1].messages
    assert "TABLE silver.partners (" in first[1]["content"]
    assert second[-2] == {"role": "assistant", "content": BAD}
    assert "vendor_tin" in second[-1]["content"] and "invalid" in second[-1]["content"]
    assert [c.feature for c in sink.calls] == ["nl2sql", "nl2sql"]


def test_repair_attempts_are_bounded(peer: OpenAIPeer) -> None:
    engine = Nl2Sql(CATALOG, make_gateway(peer), max_attempts=2)
    peer.reply(BAD)
    peer.reply("```sql\nDELETE FROM silver.partners\n```")
    result = engine.generate(QUESTION, user="fin")
    assert not result.ok and len(result.attempts) == 2
    assert "read-only" in result.error
    assert len(peer.requests) == 2
    with pytest.raises(SqlGenerationFailed) as exc:
        result.require()
    assert len(exc.value.attempts) == 2


def test_answer_executes_and_repairs_execution_errors(peer: OpenAIPeer) -> None:
    engine = Nl2Sql(CATALOG, make_gateway(peer))
    peer.reply("```sql\nSELECT SUM(tin) FROM silver.partners\n```")
    peer.reply(GOOD)
    executed: list[str] = []

    def executor(sql: str) -> QueryResult:
        executed.append(sql)
        if "SUM(tin)" in sql:  # stands in for the database refusing sum(text)
            raise WarehouseError("Query failed: function sum(text) does not exist")
        return ["partner_name"], [("Acme",)]

    answer = engine.answer(QUESTION, executor, user="fin")
    assert answer.rows == (("Acme",),) and answer.columns == ("partner_name",)
    assert len(executed) == 2
    assert "sum(text) does not exist" in peer.requests[1].messages[-1]["content"]


def test_no_model_configured_before_any_work() -> None:
    engine = Nl2Sql(CATALOG, Gateway.from_data(None))
    with pytest.raises(NoModelConfigured, match="No LLM model configured"):
        engine.generate(QUESTION, user="fin")
