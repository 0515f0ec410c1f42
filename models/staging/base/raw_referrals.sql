-- depends_on: {{ source('raw', 'referrals') }}
-- Every row of the raw `referrals` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('referrals') }}
