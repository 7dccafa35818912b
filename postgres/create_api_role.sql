-- The role the API connects as: it can log in and, through the grants that every dbt build
-- applies (dbt_project.yml: +grants; macros/grant_marts_usage.sql), only SELECT the marts.
-- Run once per PostgreSQL server: psql -v ON_ERROR_STOP=1 -f postgres/create_api_role.sql
select 'create role interactions_api login'
where not exists (select from pg_roles where rolname = 'interactions_api')
\gexec
