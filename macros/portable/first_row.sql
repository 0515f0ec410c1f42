{% macro first_row(columns, order_by) -%}
    {#- An aggregate: the row of the group that comes first by `order_by` (a list of expressions,
        each ascending with nulls last), as a struct of `columns` (a dict: field name -> SQL
        expression). What `qualify row_number() over (partition by <the group> order by <order_by>
        asc nulls last) = 1` keeps, without sorting every row: DuckDB sorts a window with more than
        one order key, and only rewrites one with a single key into an aggregate. -#}
    {{ return(adapter.dispatch('first_row', 'journey_metrics')(columns, order_by)) }}
{%- endmacro %}


{% macro duckdb__first_row(columns, order_by) -%}
    {#- a row value compares field by field, a null field after every value (nulls last); arg_min
        skips only a null first argument, and a struct is never null -#}
    arg_min(
        struct_pack({% for name, expression in columns.items() %}{{ name }} := {{ expression }}{{ ", " if not loop.last }}{% endfor %}),
        ({{ order_by | join(', ') }})
    )
{%- endmacro %}


{% macro default__first_row(columns, order_by) -%}
    {#- a struct compares a null field before every value: each key is preceded by its null flag -#}
    min_by(
        named_struct({% for name, expression in columns.items() %}'{{ name }}', {{ expression }}{{ ", " if not loop.last }}{% endfor %}),
        struct({% for expression in order_by %}{{ expression }} is null, {{ expression }}{{ ", " if not loop.last }}{% endfor %})
    )
{%- endmacro %}
