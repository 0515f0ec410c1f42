{#
    Generic test: the relation has exactly the columns its YAML declares, in that order, each of its
    declared data_type — the shape check dbt's model contracts make, for the models dbt cannot
    enforce a contract on (Python models). Fails with one row per column that differs.
#}
{% test matches_declared_columns(model) %}
{%- set found = namespace(node=none) -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.alias == model.identifier -%}
        {%- set found.node = node -%}
    {%- endfor -%}
    {%- if found.node is none or found.node.columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("matches_declared_columns: model '" ~ model.identifier ~ "' declares no columns.") }}
    {%- endif -%}
    {%- for column in found.node.columns.values() if not column.data_type -%}
        {{ exceptions.raise_compiler_error("matches_declared_columns: column '" ~ column.name ~ "' of model '"
            ~ model.identifier ~ "' declares no data_type.") }}
    {%- endfor -%}
{%- endif %}

with declared as (
    {% if found.node is not none %}
    select *
    from (values
        {% for column in found.node.columns.values() -%}
        ({{ loop.index }}, {{ sql_string(column.name) }}, {{ sql_string(column.data_type | upper) }}){{ "," if not loop.last }}
        {% endfor -%}
    ) as declared(position, column_name, data_type)
    {% else %}
    select 1 as position, 'column' as column_name, 'type' as data_type
    {% endif %}
),

actual as (
    select
        ordinal_position as position,
        column_name,
        upper(data_type) as data_type
    from information_schema.columns
    where table_catalog = {{ sql_string(model.database) }}
        and table_schema = {{ sql_string(model.schema) }}
        and table_name = {{ sql_string(model.identifier) }}
)

select
    coalesce(declared.column_name, actual.column_name) as column_name,
    declared.position as declared_position,
    actual.position as actual_position,
    declared.data_type as declared_type,
    actual.data_type as actual_type
from declared
full outer join actual
    on actual.column_name = declared.column_name
where declared.position is distinct from actual.position
    or declared.data_type is distinct from actual.data_type

{% endtest %}
