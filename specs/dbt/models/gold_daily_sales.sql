{{ config(schema='gold') }}
-- Net sales and output VAT per store and business day (specs/tables/gold/gold_daily_sales.yaml).
-- sale_id is "<receipt_no>-<line_no>": receipts are counted on its receipt part.
select
    sale_date,
    store_code,
    sum(net_amount)::numeric(16, 2) as net_sales,
    sum(vat_amount)::numeric(16, 2) as output_vat,
    count(distinct split_part(sale_id, '-', 1))::integer as receipts
from {{ source('silver', 'silver_sales') }}
group by sale_date, store_code
