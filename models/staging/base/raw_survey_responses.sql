-- depends_on: {{ source('raw', 'survey_responses') }}
-- Every row of the raw `survey_responses` files as it arrived (text), with the file it came from.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('survey_responses') }}
