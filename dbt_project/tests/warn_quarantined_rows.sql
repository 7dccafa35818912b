{{ config(severity='warn') }}
-- A finding, not an error: rows that could not be used are quarantined with a reason.
-- Warns with their count so the build reports it; the rows are in marts.quarantined_rows.
select * from {{ ref('quarantined_rows') }}
