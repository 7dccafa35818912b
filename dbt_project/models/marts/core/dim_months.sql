{#- Every month from the first to the last counted interaction's, none missing: the months
    the monthly answers are zero-filled over. Consecutive month numbers come from a cross
    join of digits (up to 10,000 months; the dates an interaction may have span 2,400). -#}
with

interactions as (

    select * from {{ ref('fct_interactions') }}

),

first_and_last as (

    select
        min(interaction_month) as first_month,
        max(interaction_month) as last_month

    from interactions

),

bounds as (

    select
        {{ month_index('first_month') }} as first_index,
        {{ month_index('last_month') }} as last_index

    from first_and_last

),

digits as (

    {% for digit in range(10) -%}
        select {{ digit }} as digit
        {% if not loop.last %}
            union all
        {% endif %}
    {%- endfor %}

),

offsets as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit as month_offset

    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands

),

month_numbers as (

    select bounds.first_index + offsets.month_offset as month_index

    from bounds
    inner join offsets
        on offsets.month_offset <= bounds.last_index - bounds.first_index

),

final as (

    select
        cast(month_index as integer) as month_index,
        {{ month_text('month_index') }} as calendar_month,
        {{ month_start('month_index') }} as month_start

    from month_numbers

)

select * from final
