-- The role the API connects as: it can log in and, through the grants that every dbt build
-- applies (dbt_project.yml: +grants; macros/grant_marts_usage.sql), only SELECT the marts.
-- Run once per PostgreSQL server: psql -v ON_ERROR_STOP=1 -f postgres/create_api_role.sql
-- Running it again, or twice at the same time, changes nothing and fails neither: a role that
-- exists (or that the other run has just created) is kept as it is.
do $$
begin
    create role interactions_api login;
exception
    when duplicate_object or unique_violation then
        null;
end
$$;
