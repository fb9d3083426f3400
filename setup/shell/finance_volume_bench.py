# Run inside `odoo-bin shell` (see setup/odoo_shell.py) by `ipwb bench finance`: the finance
# pipeline's figures at volume (addons/ipwb_finance_bir/services/volume_bench.py), written as
# JSON to $IPWB_BENCH_OUT.
import json
import os

from odoo.addons.ipwb_finance_bir.services import volume_bench

figures = volume_bench.run(
    env,  # noqa: F821
    volume=os.environ.get("IPWB_VOLUME", "mid"),
    new_invoices=int(os.environ.get("IPWB_NEW_INVOICES", "100")),
)
with open(os.environ["IPWB_BENCH_OUT"], "w", encoding="utf-8") as out:
    json.dump(figures, out, default=str)
