-- depends_on: {{ source('raw', 'orders') }}
-- Every row of the raw `orders` files as it arrived (text), with the file it came from.
{{ config(materialized='view') }}
{{ read_raw('orders') }}
