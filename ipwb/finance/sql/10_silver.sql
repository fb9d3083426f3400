-- Silver: typed, deduplicated, normalised finance tables rebuilt from bronze.
-- The latest version of each record (highest load_seq) wins; tombstones drop the record.
-- {bronze}/{silver} are schema identifiers composed by ipwb.finance.warehouse.build.

DROP TABLE IF EXISTS {silver}.fin_companies;
CREATE TABLE {silver}.fin_companies AS
SELECT b.source_id AS company_id,
       b.payload ->> 'name' AS name,
       left(regexp_replace(coalesce(b.payload ->> 'vat', ''), '\D', '', 'g'), 9) AS tin,
       nullif(b.payload ->> 'vat', '') AS vat,
       coalesce(nullif(b.payload ->> 'branch_code', ''), '000') AS branch_code,
       b.payload ->> 'currency' AS currency,
       coalesce(nullif(b.payload ->> 'sawt_basis', ''), 'accrual') AS sawt_basis,
       -- filing identity (BIR registration): RDO code, registered name, address
       nullif(b.payload ->> 'rdo_code', '') AS rdo_code,
       coalesce(nullif(b.payload ->> 'registered_name', ''), b.payload ->> 'name') AS registered_name,
       nullif(b.payload ->> 'address', '') AS address
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_res_company ORDER BY source_id, load_seq DESC) b
WHERE NOT b.is_deleted;
ALTER TABLE {silver}.fin_companies ADD PRIMARY KEY (company_id);

DROP TABLE IF EXISTS {silver}.fin_partners;
CREATE TABLE {silver}.fin_partners AS
SELECT b.source_id AS partner_id,
       b.payload ->> 'name' AS name,
       -- a foreign VAT number is no TIN: its digits never become one (is_foreign_vat flags it)
       CASE WHEN coalesce(nullif(b.payload ->> 'country_code', ''), 'PH') = 'PH'
            THEN left(regexp_replace(coalesce(b.payload ->> 'vat', ''), '\D', '', 'g'), 9) ELSE '' END AS tin,
       coalesce(nullif(b.payload ->> 'branch_code', ''), '000') AS branch_code,
       nullif(b.payload ->> 'vat', '') AS vat,
       nullif(b.payload ->> 'country_code', '') AS country_code,
       (coalesce(nullif(b.payload ->> 'country_code', ''), 'PH') <> 'PH' AND coalesce(b.payload ->> 'vat', '') <> '')
           AS is_foreign_vat,
       coalesce((b.payload ->> 'is_company')::boolean, false) AS is_company,
       coalesce((b.payload ->> 'is_government')::boolean, false) AS is_government,
       (b.payload ->> 'commercial_partner_id')::bigint AS commercial_partner_id,
       nullif(b.payload ->> 'first_name', '') AS first_name,
       nullif(b.payload ->> 'middle_name', '') AS middle_name,
       nullif(b.payload ->> 'last_name', '') AS last_name,
       nullif(b.payload ->> 'address', '') AS address,
       b.source_write_date AS updated_at
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_res_partner ORDER BY source_id, load_seq DESC) b
WHERE NOT b.is_deleted;
ALTER TABLE {silver}.fin_partners ADD PRIMARY KEY (partner_id);

DROP TABLE IF EXISTS {silver}.fin_taxes;
CREATE TABLE {silver}.fin_taxes AS
SELECT b.source_id AS tax_id,
       b.payload ->> 'name' AS name,
       (b.payload ->> 'amount')::numeric(16, 4) AS rate,
       b.payload ->> 'amount_type' AS amount_type,
       b.payload ->> 'type_tax_use' AS type_tax_use,
       nullif(b.payload ->> 'atc', '') AS atc,
       b.payload ->> 'tax_group' AS tax_group,
       coalesce(upper(b.payload ->> 'atc') ~ '^W[IC]', false) AS is_ewt
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_account_tax ORDER BY source_id, load_seq DESC) b
WHERE NOT b.is_deleted;
ALTER TABLE {silver}.fin_taxes ADD PRIMARY KEY (tax_id);

DROP TABLE IF EXISTS {silver}.fin_invoices;
CREATE TABLE {silver}.fin_invoices AS
SELECT m.source_id AS move_id,
       (m.payload ->> 'company_id')::bigint AS company_id,
       m.version AS move_version,
       m.payload ->> 'name' AS number,
       m.payload ->> 'move_type' AS move_type,
       (m.payload ->> 'date')::date AS date,
       (m.payload ->> 'invoice_date')::date AS invoice_date,
       date_trunc('month', (m.payload ->> 'date')::date)::date AS period_month,
       to_char((m.payload ->> 'date')::date, 'YYYY-"Q"Q') AS quarter,
       (m.payload ->> 'partner_id')::bigint AS partner_id,
       p.tin AS partner_tin,
       p.branch_code AS partner_branch_code,
       p.name AS partner_name,
       m.payload ->> 'ref' AS ref,
       m.payload ->> 'journal_code' AS journal_code,
       m.payload ->> 'currency' AS currency,
       (m.payload ->> 'amount_untaxed_signed')::numeric(16, 2) AS amount_untaxed,
       (m.payload ->> 'amount_tax_signed')::numeric(16, 2) AS amount_tax,
       (m.payload ->> 'amount_total_signed')::numeric(16, 2) AS amount_total,
       (m.payload ->> 'reversed_entry_id')::bigint AS reversed_entry_id,
       m.payload ->> 'payment_state' AS payment_state,
       (m.payload ->> 'paid_date')::date AS paid_date,
       m.source_write_date AS updated_at
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_account_move ORDER BY source_id, load_seq DESC) m
LEFT JOIN {silver}.fin_partners p ON p.partner_id = (m.payload ->> 'commercial_partner_id')::bigint
WHERE NOT m.is_deleted AND m.payload ->> 'state' = 'posted';
ALTER TABLE {silver}.fin_invoices ADD PRIMARY KEY (move_id);

-- Lines belong to the move version they were extracted with: lines of older versions
-- (edited or removed while the move was back in draft) never reach silver.
DROP TABLE IF EXISTS {silver}.fin_invoice_lines;
CREATE TABLE {silver}.fin_invoice_lines AS
SELECT l.source_id AS line_id,
       i.move_id,
       i.company_id,
       i.date,
       i.period_month,
       i.move_type,
       coalesce((l.payload ->> 'partner_id')::bigint, i.partner_id) AS partner_id,
       l.payload ->> 'account_code' AS account_code,
       l.payload ->> 'name' AS label,
       coalesce(l.payload ->> 'display_type', 'product') AS display_type,
       l.payload ->> 'product_name' AS product_name,
       (l.payload ->> 'quantity')::numeric(16, 4) AS quantity,
       (l.payload ->> 'price_unit')::numeric(16, 4) AS price_unit,
       (l.payload ->> 'price_subtotal')::numeric(16, 2) AS price_subtotal,
       (l.payload ->> 'balance')::numeric(16, 2) AS balance,
       (l.payload ->> 'tax_line_id')::bigint AS tax_line_id,
       (l.payload ->> 'tax_base_amount')::numeric(16, 2) AS tax_base_amount,
       coalesce((l.payload ->> 'tax_tag_invert')::boolean, false) AS tax_tag_invert,
       coalesce(l.payload -> 'tax_ids', '[]'::jsonb) AS tax_ids,
       coalesce(l.payload -> 'tax_tags', '[]'::jsonb) AS tax_tags
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_account_move_line ORDER BY source_id, load_seq DESC) l
JOIN {silver}.fin_invoices i ON i.move_id = (l.payload ->> 'move_id')::bigint AND i.move_version = l.parent_version
WHERE NOT l.is_deleted;
ALTER TABLE {silver}.fin_invoice_lines ADD PRIMARY KEY (line_id);

-- One row per (line, tax): the base a tax applies to (role 'base', from tax_ids) and
-- the tax amount itself (role 'tax', from tax_line_id). Amounts are balances (debit +).
DROP TABLE IF EXISTS {silver}.fin_tax_amounts;
CREATE TABLE {silver}.fin_tax_amounts AS
SELECT l.line_id, l.move_id, l.company_id, l.date, l.period_month, l.move_type, l.partner_id,
       t.tax_id, 'base'::text AS role, l.balance AS amount
FROM {silver}.fin_invoice_lines l
CROSS JOIN LATERAL jsonb_array_elements_text(l.tax_ids) AS x(tax_id_text)
JOIN {silver}.fin_taxes t ON t.tax_id = x.tax_id_text::bigint
UNION ALL
SELECT l.line_id, l.move_id, l.company_id, l.date, l.period_month, l.move_type, l.partner_id,
       l.tax_line_id, 'tax'::text, l.balance
FROM {silver}.fin_invoice_lines l
WHERE l.tax_line_id IS NOT NULL;
ALTER TABLE {silver}.fin_tax_amounts ADD PRIMARY KEY (line_id, tax_id, role);

-- Signed amounts per tax tag, the rule of Odoo's tax report (engine tax_tags):
-- balance, negated for '-' tags, negated again when the line's tax_tag_invert is set.
DROP TABLE IF EXISTS {silver}.fin_tax_tag_amounts;
CREATE TABLE {silver}.fin_tax_tag_amounts AS
SELECT l.line_id, l.move_id, l.company_id, l.date, l.period_month, l.partner_id,
       tag ->> 'name' AS tag_name,
       substr(tag ->> 'name', 2) AS tag_formula,
       (l.balance
        * CASE WHEN left(tag ->> 'name', 1) = '-' THEN -1 ELSE 1 END
        * CASE WHEN l.tax_tag_invert THEN -1 ELSE 1 END)::numeric(16, 2) AS amount
FROM {silver}.fin_invoice_lines l
CROSS JOIN LATERAL jsonb_array_elements(l.tax_tags) AS tag
WHERE left(tag ->> 'name', 1) IN ('+', '-');
ALTER TABLE {silver}.fin_tax_tag_amounts ADD PRIMARY KEY (line_id, tag_name);

DROP TABLE IF EXISTS {silver}.fin_payments;
CREATE TABLE {silver}.fin_payments AS
SELECT b.source_id AS payment_id,
       (b.payload ->> 'company_id')::bigint AS company_id,
       b.payload ->> 'name' AS number,
       (b.payload ->> 'date')::date AS date,
       b.payload ->> 'payment_type' AS payment_type,
       b.payload ->> 'partner_type' AS partner_type,
       (b.payload ->> 'partner_id')::bigint AS partner_id,
       p.tin AS partner_tin,
       (b.payload ->> 'amount')::numeric(16, 2) AS amount,
       (b.payload ->> 'amount_company_currency_signed')::numeric(16, 2) AS amount_signed,
       b.payload ->> 'currency' AS currency,
       b.payload ->> 'journal_code' AS journal_code,
       b.payload ->> 'state' AS state,
       (b.payload ->> 'move_id')::bigint AS move_id
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_account_payment ORDER BY source_id, load_seq DESC) b
LEFT JOIN {silver}.fin_partners p ON p.partner_id = (b.payload ->> 'partner_id')::bigint
WHERE NOT b.is_deleted AND b.payload ->> 'state' NOT IN ('draft', 'canceled', 'rejected');
ALTER TABLE {silver}.fin_payments ADD PRIMARY KEY (payment_id);

DROP TABLE IF EXISTS {silver}.fin_expenses;
CREATE TABLE {silver}.fin_expenses AS
SELECT b.source_id AS expense_id,
       (b.payload ->> 'company_id')::bigint AS company_id,
       b.payload ->> 'name' AS description,
       (b.payload ->> 'date')::date AS date,
       date_trunc('month', (b.payload ->> 'date')::date)::date AS period_month,
       (b.payload ->> 'employee_id')::bigint AS employee_id,
       b.payload ->> 'employee_name' AS employee_name,
       coalesce(nullif(b.payload ->> 'department', ''), 'No department') AS department,
       coalesce(nullif(b.payload ->> 'category', ''), 'Uncategorised') AS category,
       (b.payload ->> 'total_amount')::numeric(16, 2) AS total_amount,
       (b.payload ->> 'tax_amount')::numeric(16, 2) AS tax_amount,
       coalesce((b.payload ->> 'input_vat')::numeric(16, 2), 0) AS input_vat,
       b.payload ->> 'state' AS state,
       b.payload ->> 'payment_mode' AS payment_mode
FROM (SELECT DISTINCT ON (source_id) * FROM {bronze}.odoo_hr_expense ORDER BY source_id, load_seq DESC) b
WHERE NOT b.is_deleted AND b.payload ->> 'state' <> 'refused';
ALTER TABLE {silver}.fin_expenses ADD PRIMARY KEY (expense_id);
