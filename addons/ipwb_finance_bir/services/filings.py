# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""BIR filings of a published finance run: the engine writes them from gold, this module
reads the warehouse, stores each file as an attachment of the run and renders the 2307s.

Gold is read through the default warehouse connection's service role (the catalog's
reader), the way the finance run's catalog registration does: the Finance Manager's own
rights were checked before (the wizard's access rights and group check).
"""

import datetime
from decimal import Decimal

from odoo import fields
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.finance import filings
from ipwb.finance.filings import gold
from ipwb.finance.filings.identity import tin_branch
from ipwb.finance.warehouse import FinanceSchemas

SCHEMAS = FinanceSchemas()
REPORT_2307 = "ipwb_finance_bir.action_report_bir_2307"


def _reader(env):
    connection = env["ipwb.connection"].sudo()._get_default()
    return connection._connect()


def _attach(run, artifact, description):
    return run.env["ir.attachment"].create(
        {
            "name": artifact.name,
            "raw": artifact.content,
            "mimetype": artifact.mimetype,
            "res_model": "ipwb.finance.run",
            "res_id": run.id,
            "description": description,
        }
    )


def _description(run, company, label, period):
    env = run.env
    return env._(
        "%(form)s %(period)s of %(company)s, generated from the gold published by finance run %(run)s "
        "by %(user)s on %(when)s",
        form=label,
        period=period.label,
        company=company.name,
        run=run.name,
        user=env.user.name,
        when=fields.Datetime.to_string(fields.Datetime.now()),
    )


def generate(run, company, form, period, sawt_form="2550Q"):
    """Write ``form`` of ``company`` for ``period`` from gold; attach the files to ``run``.
    Returns ``(attachments, filing)``; engine refusals become translated UserErrors."""
    env = run.env
    conn = _reader(env)
    try:
        if form in ("2307", "2307_each"):
            return _certificates(run, conn, company, period, one_per_payee=form == "2307_each"), None
        filing = filings.generate(conn, SCHEMAS, company.id, form, period, sawt_form=sawt_form)
    except IpwbError as exc:
        raise UserError(env._("BIR filing refused: %s", exc)) from None
    finally:
        conn.close()
    description = _description(run, company, filings.FORMS[form], filing.period)
    attachments = env["ir.attachment"]
    for artifact in filing.artifacts:
        attachments |= _attach(run, artifact, description)
    return attachments, filing


def _money(value):
    return f"{Decimal(value):,.2f}"


def certificate_data(conn, company_id, period):
    """The 2307 report's data (JSON-able): filer, period and one certificate per payee."""
    filer = gold.filer(conn, SCHEMAS, company_id)
    gold.check_period(conn, SCHEMAS, company_id, period)
    certificates = []
    for cert in gold.certificates_2307(conn, SCHEMAS, company_id, period):
        certificates.append(
            {
                "payee_tin": tin_branch(cert.payee.tin, cert.payee.branch) if cert.payee.tin else "",
                "payee_name": cert.payee.display_name,
                "payee_address": cert.payee.address,
                "lines": [
                    {
                        "atc": line.atc,
                        "nature": line.nature,
                        "months": [_money(m) for m in line.months],
                        "total": _money(line.total),
                        "tax_withheld": _money(line.tax_withheld),
                    }
                    for line in cert.lines
                ],
                "months": [
                    _money(sum((line.months[i] for line in cert.lines), Decimal(0))) for i in range(3)
                ],
                "total": _money(cert.income_payment),
                "tax_withheld": _money(cert.tax_withheld),
            }
        )
    return {
        "filer": {
            "name": filer.registered_name,
            "tin": tin_branch(filer.tin, filer.branch),
            "address": filer.address,
            "rdo_code": filer.rdo_code,
        },
        "period": {
            "label": period.label,
            "from": period.first_day.strftime("%m/%d/%Y"),
            "to": period.last_day.strftime("%m/%d/%Y"),
            "months": [datetime.date(period.year, m, 1).strftime("%b %Y") for m in period.months],
        },
        "certificates": certificates,
    }


def _certificates(run, conn, company, period, one_per_payee=False):
    """The quarter's 2307s (one page per payee), in one file or one file per payee: PDF when
    wkhtmltopdf renders, else the report's HTML (Odoo renders HTML in test mode and cannot
    make a PDF without wkhtmltopdf)."""
    env = run.env
    data = certificate_data(conn, company.id, period)
    if not data["certificates"]:
        raise UserError(env._("No expanded withholding in %s: no 2307 to issue.", period.label))
    description = _description(run, company, "BIR 2307", period)
    stem = f"2307_{company.vat or company.id}_{period.label}"
    if not one_per_payee:
        return _attach(run, _render_2307(env, run, data, stem), description)
    attachments = env["ir.attachment"]
    for number, cert in enumerate(data["certificates"], 1):
        payee = cert["payee_tin"] or f"payee{number}"
        artifact = _render_2307(env, run, {**data, "certificates": [cert]}, f"{stem}_{payee}")
        attachments |= _attach(run, artifact, f"{description} ({cert['payee_name']})")
    return attachments


def _render_2307(env, run, data, stem):
    Report = env["ir.actions.report"]
    if Report.get_wkhtmltopdf_state() == "install":
        content, kind = Report._render_qweb_html(REPORT_2307, run.ids, data=data)
    else:
        content, kind = Report._render_qweb_pdf(REPORT_2307, run.ids, data=data)
    extension = "pdf" if kind == "pdf" else "html"
    return filings.Artifact(
        f"{stem}.{extension}",
        content if isinstance(content, bytes) else content.encode(),
        "application/pdf" if kind == "pdf" else "text/html",
    )
