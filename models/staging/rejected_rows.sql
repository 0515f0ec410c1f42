-- Every raw row that did not reach its staging model, with the reason. Together with the stg_
-- models this accounts for every raw row: raw rows = staged rows + rejected rows, per table.
{% set tables = raw_table_names() %}

with
{% for table_name in tables %}
{{ table_name }}_rejected as (
    select
        '{{ table_name }}' as source_table,
        source_key,
        rejection_reason as reason,
        record,
        source_file
    from {{ ref('base_' ~ table_name) }}
    where rejection_reason is not null
),
{% endfor %}

unioned as (
    {% for table_name in tables %}
    select * from {{ table_name }}_rejected
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from unioned
