-- depends_on: {{ source('raw', 'support_tickets') }}
-- Every row of the raw `support_tickets` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('support_tickets') }}
