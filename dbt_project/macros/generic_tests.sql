{#- Fails with each combination of `combination_of_columns` that occurs more than once:
    the way to test the grain of an aggregate mart. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    with

    grouped as (
        select
            {{ combination_of_columns | join(', ') }},
            count(*) as row_count
        from {{ model }}
        group by {{ combination_of_columns | join(', ') }}
    )

    select * from grouped
    where row_count > 1
{% endtest %}

{#- Fails with each row where the boolean SQL `expression` is not true. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
