{% macro funnel_definitions() %}
    {#-
        var funnels, checked and completed with defaults: a list of {'name', 'window_days',
        'order', 'steps': [{'name', 'number', 'sources', 'event_types', 'stage', 'nth',
        'within_hours', 'is_optional', 'shares_with', 'previous_required'}], 'exclude_event_types', 'breakdowns',
        'hold_constant'}. A step's source is one of, or a list of: events (event_types, or stage:
        the types of that stage in seed stage_map), orders (a completed order; nth), interactions
        (any event or order, whatever its status), referrals (a referral the customer sent),
        promoter_responses (a survey answer with NPS at or above var promoter_min_score).
        shares_with: names of earlier steps whose event or order this step may take too (by
        default one row serves one step); its numbers are returned.
        A malformed definition stops the build with an error naming the funnel and the field:
        a name that is not snake_case or not unique, no steps, an unknown source, order, breakdown
        or held property, event types (or stage) missing or not in seed stage_map (checked when
        dbt executes), nth without source orders, an optional first step, within_hours with order
        any.
    -#}
    {%- set allowed_breakdowns = [
        'acquisition_channel', 'country', 'segment_name', 'cohort_month'
    ] -%}
    {%- set allowed_held = ['channel', 'touchpoint'] -%}
    {%- set allowed_sources = [
        'events', 'orders', 'interactions', 'referrals', 'promoter_responses'
    ] -%}
    {%- set known_types = [] -%}
    {%- set known_stages = [] -%}
    {#- the catalog check runs when dbt executes a model (a unit test's refs are fixtures) -#}
    {%- set check_types = execute and model is defined and model.resource_type != 'unit_test' -%}
    {%- if check_types -%}
        {%- set catalog = run_query(
            'select distinct event_type, stage from ' ~ ref('stage_map')
        ) -%}
        {%- set known_types = catalog.columns[0].values() | list -%}
        {%- set known_stages = catalog.columns[1].values() | unique | list -%}
    {%- endif -%}
    {%- set funnels = var('funnels', []) or [] -%}
    {%- if funnels is string or funnels is mapping -%}
        {{ exceptions.raise_compiler_error("var funnels must be a list of funnel definitions") }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set checked = [] -%}
    {%- for funnel in funnels -%}
        {%- set where = "funnel #" ~ loop.index ~ " ('" ~ (funnel.get('name') or '?') ~ "')" -%}
        {%- set fail = "var funnels, " ~ where ~ ": " -%}
        {%- set name = funnel.get('name') -%}
        {%- if not name or not modules.re.fullmatch('[a-z][a-z0-9_]*', name | string) -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'name' must be snake_case, got '" ~ name ~ "'"
            ) }}
        {%- endif -%}
        {%- if name in names -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'name': another funnel is named '" ~ name ~ "'"
            ) }}
        {%- endif -%}
        {%- do names.append(name) -%}
        {%- set window_days = funnel.get('window_days') -%}
        {%- if window_days is not none and not (window_days is number and window_days > 0) -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'window_days' must be a positive number or null"
            ) }}
        {%- endif -%}
        {%- set order = funnel.get('order', 'strict') -%}
        {%- if order not in ['strict', 'any'] -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'order' must be strict or any, got '" ~ order ~ "'"
            ) }}
        {%- endif -%}
        {%- set raw_steps = funnel.get('steps') or [] -%}
        {%- if raw_steps | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'steps' is missing or empty: a funnel needs steps"
            ) }}
        {%- endif -%}
        {%- set step_names = [] -%}
        {%- set steps = [] -%}
        {%- set state = {'previous_required': none} -%}
        {%- for step in raw_steps -%}
            {%- set at = fail ~ "step #" ~ loop.index
                ~ " ('" ~ (step.get('name') or '?') ~ "'), " -%}
            {%- set step_name = step.get('name') -%}
            {%- set is_snake_case = modules.re.fullmatch('[a-z][a-z0-9_]*', step_name | string) -%}
            {%- if not step_name or not is_snake_case -%}
                {{ exceptions.raise_compiler_error(at ~ "field 'name' must be snake_case") }}
            {%- endif -%}
            {%- if step_name in step_names -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'name': another step is named '" ~ step_name ~ "'"
                ) }}
            {%- endif -%}
            {%- do step_names.append(step_name) -%}
            {%- set source = step.get('source', 'events') -%}
            {%- set sources = [source] if source is string else (source or []) | list -%}
            {%- if sources | length == 0 -%}
                {{ exceptions.raise_compiler_error(at ~ "field 'source' is empty") }}
            {%- endif -%}
            {%- for one in sources if one not in allowed_sources -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'source' must be one (or a list) of " ~ (allowed_sources | join(', '))
                    ~ ", got '" ~ one ~ "'"
                ) }}
            {%- endfor -%}
            {%- set event_types = step.get('event_types') or [] -%}
            {%- if event_types is string -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'event_types' must be a list, got '" ~ event_types ~ "'"
                ) }}
            {%- endif -%}
            {%- set stage = step.get('stage') -%}
            {%- if 'events' in sources and event_types | length == 0 and stage is none -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'event_types' is missing: an event step lists its event types"
                    ~ " (or names a stage)"
                ) }}
            {%- endif -%}
            {%- if 'events' in sources and event_types | length > 0 and stage is not none -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'stage': give event_types or a stage, not both"
                ) }}
            {%- endif -%}
            {%- if 'events' not in sources and (event_types | length > 0 or stage is not none) -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'event_types': only an events step takes event types or a stage"
                ) }}
            {%- endif -%}
            {%- for event_type in event_types if check_types and event_type not in known_types -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'event_types': unknown event type '" ~ event_type
                    ~ "' (not in seeds/stage_map.csv)"
                ) }}
            {%- endfor -%}
            {%- if stage is not none and check_types and stage not in known_stages -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'stage': unknown stage '" ~ stage ~ "' (not in seeds/stage_map.csv)"
                ) }}
            {%- endif -%}
            {%- set nth = step.get('nth') -%}
            {%- set is_orders = sources == ['orders'] -%}
            {%- if nth is not none and (not is_orders or not (nth is integer and nth >= 1)) -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'nth' needs source orders and a whole number from 1"
                ) }}
            {%- endif -%}
            {%- set within_hours = step.get('within_hours') -%}
            {%- set hours_ok = within_hours is number and within_hours > 0 -%}
            {%- if within_hours is not none and not hours_ok -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'within_hours' must be a positive number"
                ) }}
            {%- endif -%}
            {%- if within_hours is not none and order == 'any' -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'within_hours' needs order strict"
                ) }}
            {%- endif -%}
            {%- set is_optional = step.get('optional', false) -%}
            {%- if is_optional not in [true, false] -%}
                {{ exceptions.raise_compiler_error(at ~ "field 'optional' must be true or false") }}
            {%- endif -%}
            {%- if is_optional and loop.first -%}
                {{ exceptions.raise_compiler_error(
                    at
                    ~ "field 'optional': the first step starts the attempt and cannot be optional"
                ) }}
            {%- endif -%}
            {%- set shares_with = step.get('shares_with') or [] -%}
            {%- if shares_with is string -%}
                {{ exceptions.raise_compiler_error(
                    at ~ "field 'shares_with' must be a list of earlier steps' names"
                ) }}
            {%- endif -%}
            {%- set shared_numbers = [] -%}
            {%- for shared in shares_with -%}
                {%- if shared not in step_names[:-1] -%}
                    {{ exceptions.raise_compiler_error(
                        at ~ "field 'shares_with': '" ~ shared ~ "' is not an earlier step"
                    ) }}
                {%- endif -%}
                {%- do shared_numbers.append(step_names.index(shared) + 1) -%}
            {%- endfor -%}
            {%- do steps.append({
                'name': step_name, 'number': loop.index, 'sources': sources,
                'event_types': event_types, 'stage': stage,
                'nth': nth, 'within_hours': within_hours, 'is_optional': is_optional,
                'shares_with': shared_numbers,
                'previous_required': state.previous_required
            }) -%}
            {%- if not is_optional -%}
                {%- do state.update({'previous_required': loop.index}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set excluded = funnel.get('exclude_event_types') or [] -%}
        {%- for event_type in excluded if check_types and event_type not in known_types -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'exclude_event_types': unknown event type '" ~ event_type ~ "' (not in seeds/stage_map.csv)"
            ) }}
        {%- endfor -%}
        {%- set breakdowns = funnel.get('breakdowns') or [] -%}
        {%- for breakdown in breakdowns if breakdown not in allowed_breakdowns -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'breakdowns': '" ~ breakdown ~ "' is not one of " ~ (allowed_breakdowns | join(', '))
            ) }}
        {%- endfor -%}
        {%- set held = funnel.get('hold_constant') or [] -%}
        {%- for property in held if property not in allowed_held -%}
            {{ exceptions.raise_compiler_error(
                fail ~ "field 'hold_constant': '" ~ property ~ "' is not one of " ~ (allowed_held | join(', '))
            ) }}
        {%- endfor -%}
        {%- do checked.append({
            'name': name, 'window_days': window_days, 'order': order, 'steps': steps,
            'exclude_event_types': excluded, 'breakdowns': breakdowns, 'hold_constant': held
        }) -%}
    {%- endfor -%}
    {{ return(checked) }}
{% endmacro %}
