{#
    Generic test: no two rows share the same values of `combination_of_columns` (a composite key).
    Fails with one row per duplicated combination.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with grouped as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)

select *
from grouped
where rows_with_this_key > 1

{% endtest %}
