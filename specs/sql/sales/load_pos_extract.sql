-- Copy the landed point-of-sale extract into bronze (idempotent per receipt line).
insert into bronze.bronze_pos_sales (receipt_no, line_no, store_code, sold_at, customer_tin, amount, loaded_at)
select e.receipt_no, e.line_no, e.store_code, e.sold_at, e.customer_tin, e.amount, now()
from bronze.bronze_pos_extract as e
where e.sold_at >= %(start_date)s and e.sold_at < %(end_date)s
