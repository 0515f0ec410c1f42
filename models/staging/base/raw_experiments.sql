-- depends_on: {{ source('raw', 'experiments') }}
-- Every row of the raw `experiments` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('experiments') }}
