{#- Aliases are listed in the channels seed separated by '|'; up to 10 per channel. -#}
{%- set max_aliases_per_channel = 10 -%}

with

channels as (

    select * from {{ ref('stg_reference__channels') }}

),

canonical_names as (

    select
        channel,
        lower(channel) as lookup_key

    from channels

),

aliases as (

    {% for position in range(1, max_aliases_per_channel + 1) %}
        select
            channel,
            lower(trim({{ dbt.split_part('aliases', "'|'", position) }})) as lookup_key
        from channels
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

lookup as (

    select
        channel,
        lookup_key
    from canonical_names
    union all
    select
        channel,
        lookup_key
    from aliases
    where lookup_key != ''

)

select * from lookup
