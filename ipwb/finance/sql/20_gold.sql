-- Gold: BIR marts built from silver, per company (id, name, TIN first: each PH company files
-- its own returns). Amounts in PHP (company currency), 2 decimals.

-- 2550M: monthly VAT return lines. Leaf lines come from the tax tags (same rule as Odoo's
-- 2550Q report); aggregate lines (35, 41, 48, 49, 54, 55, 56) sum their leaves (a tax base
-- only for 35 and 48, as on the return).
DROP TABLE IF EXISTS {gold}.fin_vat_2550m;
CREATE TABLE {gold}.fin_vat_2550m AS
WITH leaves AS (
    SELECT a.company_id, a.period_month, m.line_code, m.line_name,
           sum(CASE WHEN m.amount_column = 'tax_base' THEN a.amount ELSE 0 END)::numeric(16, 2) AS tax_base,
           sum(CASE WHEN m.amount_column = 'balance' THEN a.amount ELSE 0 END)::numeric(16, 2) AS vat
    FROM {silver}.fin_tax_tag_amounts a
    JOIN {silver}.fin_vat_tag_map m ON m.tag_formula = a.tag_formula
    GROUP BY a.company_id, a.period_month, m.line_code, m.line_name
), lines AS (
    SELECT company_id, period_month, line_code, line_name, false AS is_aggregate, tax_base, vat
    FROM leaves
    UNION ALL
    SELECT l.company_id, l.period_month, g.line_code, g.line_name, true,
           (CASE WHEN bool_and(g.with_base) THEN sum(g.sign * l.tax_base) ELSE 0 END)::numeric(16, 2),
           sum(g.sign * l.vat)::numeric(16, 2)
    FROM leaves l
    JOIN {silver}.fin_vat_aggregate_map g ON g.member_code = l.line_code
    GROUP BY l.company_id, l.period_month, g.line_code, g.line_name
)
SELECT x.company_id, c.name AS company_name, c.tin AS company_tin,
       x.period_month, to_char(x.period_month, 'YYYY-"Q"Q') AS quarter, x.line_code, x.line_name,
       x.is_aggregate, x.tax_base, x.vat
FROM lines x
LEFT JOIN {silver}.fin_companies c ON c.company_id = x.company_id;
ALTER TABLE {gold}.fin_vat_2550m ADD PRIMARY KEY (company_id, period_month, line_code);

DROP TABLE IF EXISTS {gold}.fin_vat_2550q;
CREATE TABLE {gold}.fin_vat_2550q AS
SELECT company_id, company_name, company_tin, quarter, line_code, min(line_name) AS line_name,
       bool_or(is_aggregate) AS is_aggregate,
       sum(tax_base)::numeric(16, 2) AS tax_base, sum(vat)::numeric(16, 2) AS vat
FROM {gold}.fin_vat_2550m
GROUP BY company_id, company_name, company_tin, quarter, line_code;
ALTER TABLE {gold}.fin_vat_2550q ADD PRIMARY KEY (company_id, quarter, line_code);

-- Expanded withholding on purchases, by month, payee and ATC (the detail behind 1601-EQ,
-- QAP and the 2307 certificates). Bills add, debit notes/refunds subtract.
DROP TABLE IF EXISTS {gold}.fin_ewt_payee_atc;
CREATE TABLE {gold}.fin_ewt_payee_atc AS
SELECT a.company_id,
       c.name AS company_name,
       c.tin AS company_tin,
       a.period_month,
       to_char(a.period_month, 'YYYY-"Q"Q') AS quarter,
       coalesce(i.partner_tin, '') AS payee_tin,
       coalesce(i.partner_branch_code, '000') AS payee_branch_code,
       coalesce(i.partner_name, '') AS payee_name,
       t.atc,
       abs(t.rate)::numeric(16, 4) AS tax_rate,
       sum(CASE WHEN a.role = 'base' THEN a.amount ELSE 0 END)::numeric(16, 2) AS income_payment,
       (-sum(CASE WHEN a.role = 'tax' THEN a.amount ELSE 0 END))::numeric(16, 2) AS tax_withheld
FROM {silver}.fin_tax_amounts a
JOIN {silver}.fin_taxes t ON t.tax_id = a.tax_id AND t.is_ewt AND t.type_tax_use = 'purchase'
JOIN {silver}.fin_invoices i ON i.move_id = a.move_id
LEFT JOIN {silver}.fin_companies c ON c.company_id = a.company_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
ALTER TABLE {gold}.fin_ewt_payee_atc
    ADD PRIMARY KEY (company_id, period_month, payee_tin, payee_branch_code, payee_name, atc, tax_rate);

-- 1601-EQ: quarterly remittance return of creditable income taxes withheld, by ATC.
DROP TABLE IF EXISTS {gold}.fin_1601eq;
CREATE TABLE {gold}.fin_1601eq AS
SELECT company_id, company_name, company_tin, quarter, atc, tax_rate,
       sum(income_payment)::numeric(16, 2) AS tax_base,
       sum(tax_withheld)::numeric(16, 2) AS tax_withheld,
       count(DISTINCT (payee_tin, payee_name)) AS payees
FROM {gold}.fin_ewt_payee_atc
GROUP BY company_id, company_name, company_tin, quarter, atc, tax_rate;
ALTER TABLE {gold}.fin_1601eq ADD PRIMARY KEY (company_id, quarter, atc, tax_rate);

-- QAP: quarterly alphalist of payees (attachment of 1601-EQ).
DROP TABLE IF EXISTS {gold}.fin_qap;
CREATE TABLE {gold}.fin_qap AS
SELECT company_id, company_name, company_tin, quarter, payee_tin, payee_branch_code, payee_name, atc, tax_rate,
       sum(income_payment)::numeric(16, 2) AS income_payment,
       sum(tax_withheld)::numeric(16, 2) AS tax_withheld
FROM {gold}.fin_ewt_payee_atc
GROUP BY company_id, company_name, company_tin, quarter, payee_tin, payee_branch_code, payee_name, atc, tax_rate;
ALTER TABLE {gold}.fin_qap
    ADD PRIMARY KEY (company_id, quarter, payee_tin, payee_branch_code, payee_name, atc, tax_rate);

-- SAWT: summary alphalist of taxes withheld *from us* by customers (sale-side EWT). A
-- company listing by payment date (res.company ipwb_sawt_basis = 'payment') lists an
-- invoice's withholding in the quarter it was settled, and not while it is open.
DROP TABLE IF EXISTS {gold}.fin_sawt;
CREATE TABLE {gold}.fin_sawt AS
SELECT a.company_id,
       c.name AS company_name,
       c.tin AS company_tin,
       CASE WHEN c.sawt_basis = 'payment' THEN to_char(i.paid_date, 'YYYY-"Q"Q')
            ELSE to_char(a.period_month, 'YYYY-"Q"Q') END AS quarter,
       coalesce(i.partner_tin, '') AS payor_tin,
       coalesce(i.partner_branch_code, '000') AS payor_branch_code,
       coalesce(i.partner_name, '') AS payor_name,
       t.atc,
       abs(t.rate)::numeric(16, 4) AS tax_rate,
       (-sum(CASE WHEN a.role = 'base' THEN a.amount ELSE 0 END))::numeric(16, 2) AS income_payment,
       sum(CASE WHEN a.role = 'tax' THEN a.amount ELSE 0 END)::numeric(16, 2) AS tax_withheld
FROM {silver}.fin_tax_amounts a
JOIN {silver}.fin_taxes t ON t.tax_id = a.tax_id AND t.is_ewt AND t.type_tax_use = 'sale'
JOIN {silver}.fin_invoices i ON i.move_id = a.move_id
LEFT JOIN {silver}.fin_companies c ON c.company_id = a.company_id
WHERE c.sawt_basis IS DISTINCT FROM 'payment' OR i.paid_date IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
ALTER TABLE {gold}.fin_sawt
    ADD PRIMARY KEY (company_id, quarter, payor_tin, payor_branch_code, payor_name, atc, tax_rate);

-- SLSP: summary lists of sales and of purchases, per quarter and TIN, from the tax tags.
DROP TABLE IF EXISTS {gold}.fin_slsp_sales;
CREATE TABLE {gold}.fin_slsp_sales AS
SELECT a.company_id,
       c.name AS company_name,
       c.tin AS company_tin,
       to_char(a.period_month, 'YYYY-"Q"Q') AS quarter,
       coalesce(i.partner_tin, '') AS customer_tin,
       coalesce(i.partner_branch_code, '000') AS customer_branch_code,
       coalesce(i.partner_name, '') AS customer_name,
       sum(CASE WHEN a.tag_formula = '34A' THEN a.amount ELSE 0 END)::numeric(16, 2) AS exempt_sales,
       sum(CASE WHEN a.tag_formula = '33A' THEN a.amount ELSE 0 END)::numeric(16, 2) AS zero_rated_sales,
       sum(CASE WHEN a.tag_formula IN ('31A', '32A') THEN a.amount ELSE 0 END)::numeric(16, 2) AS taxable_sales,
       sum(CASE WHEN a.tag_formula IN ('31B', '32B') THEN a.amount ELSE 0 END)::numeric(16, 2) AS output_tax
FROM {silver}.fin_tax_tag_amounts a
JOIN {silver}.fin_invoices i ON i.move_id = a.move_id
LEFT JOIN {silver}.fin_companies c ON c.company_id = a.company_id
WHERE a.tag_formula IN ('31A', '31B', '32A', '32B', '33A', '34A')
GROUP BY 1, 2, 3, 4, 5, 6, 7;
ALTER TABLE {gold}.fin_slsp_sales
    ADD PRIMARY KEY (company_id, quarter, customer_tin, customer_branch_code, customer_name);

DROP TABLE IF EXISTS {gold}.fin_slsp_purchases;
CREATE TABLE {gold}.fin_slsp_purchases AS
SELECT a.company_id,
       c.name AS company_name,
       c.tin AS company_tin,
       to_char(a.period_month, 'YYYY-"Q"Q') AS quarter,
       coalesce(i.partner_tin, '') AS supplier_tin,
       coalesce(i.partner_branch_code, '000') AS supplier_branch_code,
       coalesce(i.partner_name, '') AS supplier_name,
       sum(CASE WHEN a.tag_formula IN ('46E', '47A') THEN a.amount ELSE 0 END)::numeric(16, 2) AS exempt_purchases,
       sum(CASE WHEN a.tag_formula = '46ZR' THEN a.amount ELSE 0 END)::numeric(16, 2) AS zero_rated_purchases,
       sum(CASE WHEN a.tag_formula IN ('42SA', '43A') THEN a.amount ELSE 0 END)::numeric(16, 2) AS services,
       sum(CASE WHEN a.tag_formula = 'CAPA' THEN a.amount ELSE 0 END)::numeric(16, 2) AS capital_goods,
       sum(CASE WHEN a.tag_formula IN ('42A', '44A', '45A') THEN a.amount ELSE 0 END)::numeric(16, 2) AS other_goods,
       sum(CASE WHEN a.tag_formula IN ('42B', '42SB', 'CAPB', '43B', '44B', '45B') THEN a.amount ELSE 0 END)::numeric(16, 2)
           AS input_tax
FROM {silver}.fin_tax_tag_amounts a
JOIN {silver}.fin_invoices i ON i.move_id = a.move_id
LEFT JOIN {silver}.fin_companies c ON c.company_id = a.company_id
WHERE a.tag_formula IN ('42A', '42B', '42SA', '42SB', 'CAPA', 'CAPB', '43A', '43B', '44A', '44B', '45A', '45B',
                        '46E', '46ZR', '47A')
GROUP BY 1, 2, 3, 4, 5, 6, 7;
ALTER TABLE {gold}.fin_slsp_purchases
    ADD PRIMARY KEY (company_id, quarter, supplier_tin, supplier_branch_code, supplier_name);

-- Expense spend by month, employee and category, with the input VAT claimable on it.
DROP TABLE IF EXISTS {gold}.fin_expense_spend;
CREATE TABLE {gold}.fin_expense_spend AS
SELECT e.company_id, c.name AS company_name, c.tin AS company_tin,
       e.period_month, e.employee_id, e.employee_name, e.department, e.category,
       count(*) AS expenses,
       sum(e.total_amount)::numeric(16, 2) AS total_amount,
       sum(e.tax_amount)::numeric(16, 2) AS tax_amount,
       sum(e.total_amount - e.tax_amount)::numeric(16, 2) AS untaxed_amount,
       sum(e.input_vat)::numeric(16, 2) AS input_vat
FROM {silver}.fin_expenses e
LEFT JOIN {silver}.fin_companies c ON c.company_id = e.company_id
-- only approved or posted expenses are spend (drafts, submitted and refused are not)
WHERE e.state IN ('approved', 'done')
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
ALTER TABLE {gold}.fin_expense_spend
    ADD PRIMARY KEY (company_id, period_month, employee_id, employee_name, department, category);
