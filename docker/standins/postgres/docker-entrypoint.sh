#!/usr/bin/env bash
# The stand-in's entrypoint: the parts of the official postgres image's contract that factlib's
# tests and docker/compose.yaml rely on, written anew (the official script is not copied):
#   - a first argument starting with '-' is a server flag: `postgres` is put before it;
#   - `postgres ...` as root: the data directory is made and the server runs as `postgres`;
#   - an empty data directory is initialised with POSTGRES_USER (default postgres),
#     POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default
#     POSTGRES_USER) and POSTGRES_INITDB_ARGS; remote connections authenticate with
#     POSTGRES_HOST_AUTH_METHOD (default scram-sha-256); /docker-entrypoint-initdb.d/*.sh and
#     *.sql run against a temporary server listening on the socket only;
#   - the server logs "database system is ready to accept connections" once for that temporary
#     server and once for the real one, which is what waiting clients look for;
#   - anything else is run as given.
set -Eeo pipefail

if [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  database=${POSTGRES_DB:-$user}
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo "docker-entrypoint.sh: the database is uninitialized and POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
  initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") ${POSTGRES_INITDB_ARGS:-} >/dev/null
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  psql=(psql -v ON_ERROR_STOP=1 --username "$user" --no-password --no-psqlrc)
  if [ "$database" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$database" <<<'CREATE DATABASE :"db";' >/dev/null
  fi
  for file in /docker-entrypoint-initdb.d/*; do
    case "$file" in
      *.sh) echo "docker-entrypoint.sh: running $file"; . "$file" ;;
      *.sql) echo "docker-entrypoint.sh: running $file"; "${psql[@]}" --dbname "$database" -f "$file" ;;
      *) if [ -e "$file" ]; then echo "docker-entrypoint.sh: ignoring $file"; fi ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
