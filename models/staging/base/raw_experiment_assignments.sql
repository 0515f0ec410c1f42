-- depends_on: {{ source('raw', 'experiment_assignments') }}
-- Every row of the raw `experiment_assignments` files as it arrived (text), with the file it came
-- from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('experiment_assignments') }}
