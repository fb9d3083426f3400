-- Gold for BIR filings: who files (TIN + branch, RDO, registered name), who is listed
-- (payee/payor/customer/supplier identity), what each ATC is paid for, and the monthly
-- expanded withholding remittance (0619-E). The alphalist files and forms of
-- ipwb.finance.filings read these beside the marts of 20_gold.sql.

-- One row per company: the filer's identity as the BIR registered it.
DROP TABLE IF EXISTS {gold}.fin_filers;
CREATE TABLE {gold}.fin_filers AS
SELECT c.company_id,
       c.registered_name,
       nullif(c.tin, '') AS tin,
       -- the alphalists' 4-digit branch: the VAT number's digits after the TIN, else the branch code
       lpad(right(coalesce(nullif(substr(regexp_replace(coalesce(c.vat, ''), '\D', '', 'g'), 10), ''),
                           regexp_replace(c.branch_code, '\D', '', 'g')), 4), 4, '0') AS branch_code,
       c.rdo_code,
       c.address
FROM {silver}.fin_companies c;
ALTER TABLE {gold}.fin_filers ADD COLUMN tin_branch text;
UPDATE {gold}.fin_filers SET tin_branch = tin || branch_code WHERE tin ~ '^\d{{9}}$';
ALTER TABLE {gold}.fin_filers ADD PRIMARY KEY (company_id);

-- One row per partner: how the lists name it. Individuals (not a company, with a last or
-- first name) by last/first/middle name, others by registered name. Foreign VAT numbers
-- carry no TIN (silver blanks it) and are flagged.
DROP TABLE IF EXISTS {gold}.fin_payees;
CREATE TABLE {gold}.fin_payees AS
SELECT p.partner_id,
       p.name,
       p.tin,
       p.branch_code AS source_branch_code,
       lpad(right(coalesce(nullif(substr(regexp_replace(coalesce(p.vat, ''), '\D', '', 'g'), 10), ''),
                           regexp_replace(p.branch_code, '\D', '', 'g')), 4), 4, '0') AS branch_code,
       (NOT p.is_company AND coalesce(p.last_name, p.first_name) IS NOT NULL) AS is_individual,
       CASE WHEN p.is_company OR coalesce(p.last_name, p.first_name) IS NULL THEN p.name END AS registered_name,
       CASE WHEN NOT p.is_company THEN p.last_name END AS last_name,
       CASE WHEN NOT p.is_company THEN p.first_name END AS first_name,
       CASE WHEN NOT p.is_company THEN p.middle_name END AS middle_name,
       p.address,
       p.country_code,
       p.is_foreign_vat,
       CASE WHEN p.is_foreign_vat THEN p.vat END AS foreign_vat_number
FROM {silver}.fin_partners p
WHERE p.partner_id = coalesce(p.commercial_partner_id, p.partner_id);
ALTER TABLE {gold}.fin_payees ADD PRIMARY KEY (partner_id);

-- What each withholding ATC is paid for (the 2307's "nature of income payment").
DROP TABLE IF EXISTS {gold}.fin_atc;
CREATE TABLE {gold}.fin_atc AS
SELECT DISTINCT ON (upper(t.atc), abs(t.rate)::numeric(16, 4), t.type_tax_use)
       upper(t.atc) AS atc, abs(t.rate)::numeric(16, 4) AS tax_rate, t.type_tax_use, t.name AS nature
FROM {silver}.fin_taxes t
WHERE t.is_ewt
ORDER BY upper(t.atc), abs(t.rate)::numeric(16, 4), t.type_tax_use, t.tax_id;
ALTER TABLE {gold}.fin_atc ADD PRIMARY KEY (atc, tax_rate, type_tax_use);

-- 0619-E: monthly remittance of expanded withholding, by ATC. BIR takes it for the first
-- two months of a quarter; the third month's is remitted with the 1601-EQ.
DROP TABLE IF EXISTS {gold}.fin_0619e;
CREATE TABLE {gold}.fin_0619e AS
SELECT company_id, company_name, company_tin, period_month, quarter, atc, tax_rate,
       (extract(month FROM period_month)::int % 3 <> 0) AS is_0619e_month,
       sum(income_payment)::numeric(16, 2) AS tax_base,
       sum(tax_withheld)::numeric(16, 2) AS tax_withheld
FROM {gold}.fin_ewt_payee_atc
GROUP BY company_id, company_name, company_tin, period_month, quarter, atc, tax_rate;
ALTER TABLE {gold}.fin_0619e ADD PRIMARY KEY (company_id, period_month, atc, tax_rate);
