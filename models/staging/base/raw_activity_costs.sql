-- depends_on: {{ source('raw', 'activity_costs') }}
-- Every row of the raw `activity_costs` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('activity_costs') }}
