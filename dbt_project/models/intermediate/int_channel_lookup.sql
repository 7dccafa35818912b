{#- Aliases are listed in the channels seed separated by '|', as many as a channel needs. -#}
with

channels as (

    select * from {{ ref('stg_reference__channels') }}

),

canonical_names as (

    select
        channel,
        channel as spelling

    from channels

),

aliases as (

    select
        channel,
        {{ split_to_rows('aliases', '|') }} as spelling

    from channels
    where aliases is not null

),

spellings as (

    select
        channel,
        spelling
    from canonical_names
    union all
    select
        channel,
        spelling
    from aliases

),

trimmed as (

    select
        channel,
        {{ clean_text('spelling') }} as spelling

    from spellings

),

cleaned as (

    select
        channel,
        {{ blank_text('spelling') }} as spelling

    from trimmed

),

lookup as (

    select distinct
        channel,
        {{ fold_case('spelling') }} as lookup_key

    from cleaned
    where spelling is not null

)

select * from lookup
