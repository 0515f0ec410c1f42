{% macro ref() %}
    {#-
        dbt's ref without the database (catalog) name on DuckDB: a view's SQL then names
        "main"."<model>", which DuckDB binds in the view's own catalog. So a copy of the warehouse
        file under any name, or one ATTACHed under any alias, answers every view (with the
        catalog in it, a view of `copy.duckdb` would look for catalog "journey" and fail).
    -#}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- if target.type == 'duckdb' and relation.include is defined -%}
        {{ return(relation.include(database=false)) }}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
