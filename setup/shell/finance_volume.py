# Run inside `odoo-bin shell` (see setup/odoo_shell.py): `env` is the shell's environment.
# A mid-size Philippine group's year of books for benchmarks (setup/run.sh --volume mid):
# two companies, >= 25k invoices and bills, >= 150k journal items, through the ORM in
# committed batches (an interrupted run resumes). IPWB_VOLUME names the profile (mid,
# small), IPWB_VOLUME_COMPANIES optionally the company indexes ("0", "1", "0,1") and
# IPWB_VOLUME_KINDS the document types ("out_invoice", "in_invoice", both by default;
# "none": only the companies and partners), so several processes can share the work.
import os

from odoo.addons.ipwb_finance_bir.services import volume_data

volume = os.environ.get("IPWB_VOLUME", "mid")
if volume not in volume_data.PROFILES:
    raise SystemExit(f"unknown volume {volume!r}; use one of {', '.join(volume_data.PROFILES)}")
indexes = os.environ.get("IPWB_VOLUME_COMPANIES", "").strip()
companies = [int(i) for i in indexes.split(",")] if indexes else None
kinds_env = os.environ.get("IPWB_VOLUME_KINDS", "").strip()
kinds = volume_data.KINDS if not kinds_env else () if kinds_env == "none" else tuple(kinds_env.split(","))
if set(kinds) - set(volume_data.KINDS):
    raise SystemExit(f"unknown document type in {kinds_env!r}; use {', '.join(volume_data.KINDS)} or none")
progress = os.environ.get("IPWB_VOLUME_PROGRESS")


def log(message):
    if progress:
        with open(progress, "a", encoding="utf-8") as out:
            out.write(message + "\n")


summary, _made, _seconds = volume_data.generate(
    env,  # noqa: F821
    volume=volume,
    companies=companies,
    kinds=kinds,
    log=log,
)
env.cr.commit()  # noqa: F821
print(summary)
if os.environ.get("IPWB_VOLUME_SUMMARY"):
    with open(os.environ["IPWB_VOLUME_SUMMARY"], "w", encoding="utf-8") as out:
        out.write(summary)
