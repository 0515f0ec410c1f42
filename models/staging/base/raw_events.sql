-- depends_on: {{ source('raw', 'events') }}
-- Every row of the raw `events` files as it arrived (text), with the file it came from.
-- A view: base_events filters it on _source_file, and DuckDB then skips the files already loaded.
{{ config(materialized=raw_materialization()) }}
{{ read_raw('events') }}
