-- depends_on: {{ source('raw', 'orders') }}
-- Every row of the raw `orders` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('orders') }}
