-- No row is lost silently: for every raw table, the rows read from its files equal the rows in its
-- staging model plus its rows in rejected_rows. Returns the tables where that does not hold.
{% set tables = raw_table_names() %}

with
{% for table_name in tables %}
{{ table_name }}_raw as (
    {{ read_raw(table_name) }}
),
{% endfor %}

counts as (
    {% for table_name in tables %}
    select
        '{{ table_name }}' as source_table,
        (select count(*) as raw_rows from {{ table_name }}_raw) as raw_rows,
        (select count(*) as staged_rows from {{ ref('stg_' ~ table_name) }}) as staged_rows,
        (
            select count(*) as rejected_rows
            from {{ ref('rejected_rows') }} as rejected
            where rejected.source_table = '{{ table_name }}'
        ) as rejected_rows
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select *
from counts
where raw_rows != staged_rows + rejected_rows
