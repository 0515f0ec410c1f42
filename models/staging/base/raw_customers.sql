-- depends_on: {{ source('raw', 'customers') }}
-- Every row of the raw `customers` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('customers') }}
