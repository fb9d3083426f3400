{{ config(schema='gold') }}
select ordered_on, count(*) as orders, sum(amount) as total_amount
from {{ ref('ipwb_dbt_clean_orders') }}
group by ordered_on
