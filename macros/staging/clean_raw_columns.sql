{% macro clean_raw_columns(relation) %}
    {#-
        Every raw column of `relation` (a raw_<table> view: the contract columns as text, plus
        _source_file) trimmed, blank as null, prefixed raw_; the row as it arrived in _raw_record.
        Star expressions, not the contract's column list, so a unit test's fixture works the same.
    -#}
    select
        _source_file,
        struct_pack(*columns(* exclude (_source_file))) as _raw_record,
        nullif(trim(columns(* exclude (_source_file))), '') as 'raw_\0'
    from {{ relation }}
{% endmacro %}
