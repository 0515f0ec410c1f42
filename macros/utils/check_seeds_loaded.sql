{% macro check_seeds_loaded() %}
    {#-
        on-run-start: `dbt run` does not load seeds (`dbt seed` and `dbt build` do). On a fresh
        warehouse a model reading one would fail deep inside DuckDB ("Table with name stage_map does
        not exist"); stop before any model instead, naming the seeds and what to run.
    -#}
    {% if execute and flags.WHICH == 'run' %}
        {% set needed = [] %}
        {% for unique_id in selected_resources %}
            {% set node = graph.nodes.get(unique_id) %}
            {% if node is not none %}
                {% for parent in node.depends_on.nodes if parent.startswith('seed.') %}
                    {% if parent not in needed %}{% do needed.append(parent) %}{% endif %}
                {% endfor %}
            {% endif %}
        {% endfor %}
        {% set missing = [] %}
        {% for seed_id in needed | sort %}
            {% set seed = graph.nodes[seed_id] %}
            {% set relation = adapter.get_relation(
                database=seed.database, schema=seed.schema, identifier=seed.alias or seed.name) %}
            {% if relation is none %}{% do missing.append(seed.name) %}{% endif %}
        {% endfor %}
        {% if missing %}
            {{ exceptions.raise_compiler_error(
                "The seed(s) " ~ (missing | join(', ')) ~ " are not loaded in " ~ target.path
                ~ ": `dbt run` does not load seeds. Run `dbt seed` first, or `dbt build` (seeds, models and"
                ~ " tests in one go).") }}
        {% endif %}
    {% endif %}
    select 1
{% endmacro %}
