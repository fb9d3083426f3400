"""Every workbench list says what to do next when it is empty.

Each window action of an ``ipwb_*`` addon that opens a list, kanban, graph or pivot view
carries an Odoo ``help`` (the empty-state panel): a title paragraph with one of Odoo's
no-content classes, then at least one paragraph of guidance.
"""

from pathlib import Path

import pytest
from lxml import etree

ADDONS = Path(__file__).resolve().parent.parent / "addons"
MULTI_RECORD_VIEWS = {"list", "kanban", "graph", "pivot", "calendar", "activity"}
NOCONTENT = ("o_view_nocontent_smiling_face", "o_view_nocontent_empty_folder")


def _actions():
    for path in sorted(ADDONS.glob("ipwb_*/**/*.xml")):
        tree = etree.parse(str(path))
        for record in tree.iterfind(".//record[@model='ir.actions.act_window']"):
            modes = (record.findtext("field[@name='view_mode']") or "list,form").split(",")
            if MULTI_RECORD_VIEWS & {m.strip() for m in modes}:
                yield pytest.param(record, id=f"{path.parent.parent.name}.{record.get('id')}")


@pytest.mark.parametrize("record", list(_actions()))
def test_list_action_has_an_empty_state(record):
    help_field = record.find("field[@name='help']")
    assert help_field is not None, "no help: an empty list must say what to do next"
    paragraphs = help_field.findall("p")
    assert len(paragraphs) >= 2, "a title and guidance"
    assert paragraphs[0].get("class") in NOCONTENT
    guidance = " ".join("".join(p.itertext()) for p in paragraphs[1:]).split()
    assert len(guidance) >= 8, f"guidance too thin: {' '.join(guidance)!r}"


def test_every_list_action_is_seen():
    # the glob and the XPath find the actions at all (the parametrized test cannot pass empty)
    assert len(list(_actions())) >= 25
