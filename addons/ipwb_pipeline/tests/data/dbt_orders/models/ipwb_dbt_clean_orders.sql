select order_id, customer, amount, ordered_on
from {{ source('bronze', 'ipwb_dbt_orders') }}
where amount is not null
