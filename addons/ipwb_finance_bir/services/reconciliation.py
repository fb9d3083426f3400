# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Staged gold against Odoo's own figures, quarter by quarter, for the quarters that changed.

Per changed (company, quarter) — staged gold differing from published gold in a reconciled
mart, or everything when nothing is published yet — up to four comparisons, each from a
source independent of the marts' mapping (services/odoo_figures.py), each run only when its
mart changed for that quarter (the others were reconciled when they were published):

- 2550M: every line of l10n_ph's tax report, totals (35, 48, 56 …) included, month by month;
- withholding on purchases against l10n_ph's 2307 export, by month, payee TIN+branch and ATC;
- SAWT against the journal items of the sale withholding taxes;
- SLSP (sales and purchases) per partner TIN+branch, from the report's expressions.
"""

from collections import defaultdict

from ipwb.finance import reconcile as rc

from . import odoo_figures


def _split(pairs, index):
    return {key: amounts[index] for key, amounts in pairs.items()}


def reconcile_quarter(conn, schemas, companies, quarter, *, sawt_quarters=None, marts=None):
    """Differences between staged gold and Odoo for some companies in one quarter: the
    comparisons of the reconciled ``marts`` that changed (all of them when ``None``)."""
    env = companies.env
    marts = frozenset(rc.RECONCILED_MARTS) if marts is None else marts
    differences = []
    if "fin_vat_2550m" in marts:
        differences += _vat_differences(conn, schemas, companies, quarter)
    start, end = rc.quarter_months(quarter)
    ids = companies.ids
    label = f"{quarter}:"
    if "fin_ewt_payee_atc" in marts:
        odoo_ewt = odoo_figures.ewt_2307(env, companies, start, end)
        gold_ewt = rc.gold_ewt(conn, schemas, ids, quarter)
        for index, name in ((0, "EWT income payment (2307)"), (1, "EWT withheld (2307)")):
            differences += rc.compare(f"{label} {name}", _split(odoo_ewt, index), _split(gold_ewt, index))
    if "fin_sawt" in marts:
        odoo_sawt = _odoo_sawt(env, companies, quarter, sawt_quarters)
        gold_sawt = rc.gold_sawt(conn, schemas, ids, quarter)
        for index, name in ((0, "SAWT income payment"), (1, "SAWT withheld")):
            differences += rc.compare(f"{label} {name}", _split(odoo_sawt, index), _split(gold_sawt, index))
    if marts & {"fin_slsp_sales", "fin_slsp_purchases"}:
        differences += rc.compare(
            f"{label} SLSP",
            odoo_figures.slsp(env, companies, start, end),
            rc.gold_slsp(conn, schemas, ids, quarter),
        )
    return differences


def _vat_differences(conn, schemas, companies, quarter):
    """2550M: every line of l10n_ph's tax report, totals included, month by month."""
    env = companies.env
    start, end = rc.quarter_months(quarter)
    ids = companies.ids
    label = f"{quarter}:"
    definition, _tags = odoo_figures.report_definition(env)
    # a total of the report that gold does not carry (e.g. 15, 20, 21, 25, 26 of Part II) is
    # not compared; every line fed by tags is, whether gold carries it or not
    skipped = set(definition.line_names) - definition.leaf_lines() - rc.gold_line_codes(conn, schemas)
    books = {
        k: v for k, v in odoo_figures.vat_lines(env, companies, start, end).items() if k[2] not in skipped
    }
    gold = {k: v for k, v in rc.gold_vat(conn, schemas, ids, quarter).items() if k[2] not in skipped}
    return rc.compare(f"{label} VAT 2550M", books, gold)


def _odoo_sawt(env, companies, quarter, sawt_quarters):
    start, end = rc.quarter_months(quarter)
    if sawt_quarters is None:
        return odoo_figures.sawt(env, companies, start, end)
    # by payment date: invoices of any earlier date may be paid in this quarter
    figures = odoo_figures.sawt(env, companies, "1900-01-01", end, invoice_quarters=sawt_quarters)
    return {key: amounts for key, amounts in figures.items() if key[1] == quarter}


def reconcile_changed(conn, staged, published, companies, period, *, sawt_quarters=None):
    """Reconcile every changed quarter of the run's companies touching ``period`` (``(from,
    to)``; whole quarters, as SAWT, SLSP and 2550Q are quarterly). Returns the differences
    and ``{quarter: number of differences}`` of the quarters reconciled."""
    date_from, date_to = period
    quarters = set(rc.quarters_between(date_from, date_to)) if date_from and date_to else None
    # companies of a quarter grouped by the marts that changed for them: a comparison
    # runs only where its mart changed
    groups = defaultdict(list)
    for (company, quarter), marts in rc.changed_marts(conn, staged, published).items():
        if company in companies.ids and (quarters is None or quarter in quarters):
            groups[quarter, marts].append(company)
    differences, periods = [], {}
    for quarter, marts in sorted(groups, key=lambda group: (group[0], sorted(group[1]))):
        found = reconcile_quarter(
            conn,
            staged,
            companies.browse(sorted(groups[quarter, marts])),
            quarter,
            sawt_quarters=sawt_quarters,
            marts=marts,
        )
        periods[quarter] = periods.get(quarter, 0) + len(found)
        differences += found
    return differences, periods
