#!/bin/sh
# docker compose only: the API's role logs in over the network, where the postgres image asks
# for a password (scram-sha-256). Runs once, at the database's first start, after
# 10_create_api_role.sql; the password comes from API_DB_PASSWORD (docker-compose.yml), never
# from a file. (Without Docker, a local server with trust or peer auth needs no password.)
if [ -z "${API_DB_PASSWORD:-}" ]; then
    echo "set_api_role_password.sh: API_DB_PASSWORD is empty; the API role cannot log in" >&2
    false
else
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-postgres}" --set=password="$API_DB_PASSWORD" <<'SQL'
alter role interactions_api password :'password';
SQL
fi
