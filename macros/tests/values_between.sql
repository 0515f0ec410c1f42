{#
    Generic test: every non-null value of the column lies in [min_value, max_value].
    Fails with the rows outside the range.
#}
{% test values_between(model, column_name, min_value, max_value) %}

select *
from {{ model }}
where {{ column_name }} < {{ min_value }}
    or {{ column_name }} > {{ max_value }}

{% endtest %}
