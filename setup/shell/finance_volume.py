# Run inside `odoo-bin shell` (see setup/odoo_shell.py): `env` is the shell's environment.
# A mid-size Philippine group's year of books for benchmarks (setup/run.sh --volume mid):
# two companies, >= 25k invoices and bills, >= 150k journal items, through the ORM in
# committed batches (an interrupted run resumes). IPWB_VOLUME names the profile (mid,
# small), IPWB_VOLUME_COMPANIES optionally the company indexes ("0", "1", "0,1").
import os

from odoo.addons.ipwb_finance_bir.services import volume_data

volume = os.environ.get("IPWB_VOLUME", "mid")
if volume not in volume_data.PROFILES:
    raise SystemExit(f"unknown volume {volume!r}; use one of {', '.join(volume_data.PROFILES)}")
indexes = os.environ.get("IPWB_VOLUME_COMPANIES", "").strip()
companies = [int(i) for i in indexes.split(",")] if indexes else None
progress = os.environ.get("IPWB_VOLUME_PROGRESS")


def log(message):
    if progress:
        with open(progress, "a", encoding="utf-8") as out:
            out.write(message + "\n")


summary, _made, _seconds = volume_data.generate(env, volume=volume, companies=companies, log=log)  # noqa: F821
env.cr.commit()  # noqa: F821
print(summary)
if os.environ.get("IPWB_VOLUME_SUMMARY"):
    with open(os.environ["IPWB_VOLUME_SUMMARY"], "w", encoding="utf-8") as out:
        out.write(summary)
