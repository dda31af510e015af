# Sourced by scripts/test: make the PostgreSQL and Redis that DATABASE_URL,
# CELERY_BROKER_URL and REDIS_URL name answer. A server on this machine
# (127.0.0.1/localhost) that does not answer is started, and installed first
# from Debian's packages when missing and we are root; as non-root the script
# says what to install. Remote servers are only waited for.

# "host port user password" of a postgres:// or redis:// URL.
url_parts() {
  python - "$1" <<'PY'
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
default = 5432 if url.scheme.startswith("postgres") else 6379
print(url.hostname or "127.0.0.1", url.port or default, url.username or "", url.password or "")
PY
}

is_local() { [ "$1" = 127.0.0.1 ] || [ "$1" = localhost ] || [ "$1" = ::1 ]; }

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

# apt-get install, quiet unless it fails.
install_packages() {
  echo "installing $* (Debian packages)"
  local log
  log=$(mktemp)
  # LANG: the cluster Debian's postgresql package creates takes its encoding from the
  # locale; C.UTF-8 (always present) makes it UTF-8 on a machine without one.
  if ! { apt-get update -qq && LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "could not install $*" >&2
    exit 1
  fi
  rm -f "$log"
}

# Install Debian packages when root; otherwise say exactly what to install.
need_packages() {
  local what=$1
  shift
  if ! can_install; then
    echo "$what is not installed. Install it (Debian/Ubuntu: sudo apt-get install $*)," >&2
    echo "or point ${what_var:-the TEST_* URL} at a running server." >&2
    exit 1
  fi
  echo "$what is missing"
  install_packages "$@"
}

# After an install: the commands must now be on PATH.
still_missing() {
  local command
  for command in "$@"; do
    if ! command -v "$command" >/dev/null 2>&1; then
      echo "installed, but $command is still not on PATH ($PATH)" >&2
      exit 1
    fi
  done
}

# Wait up to 30 s for a check; on failure print what and where to look, and exit.
wait_for() {
  local name=$1 log=$2
  shift 2
  for _ in $(seq 1 30); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "$name did not come up within 30 s." >&2
  if [ -n "$log" ] && [ -r "$log" ]; then
    echo "last lines of $log:" >&2
    tail -n 20 "$log" >&2
  fi
  exit 1
}

# The cluster (version, name) serving port $1: an existing one on that port,
# else a new one of the newest installed version. Debian's package creates
# "main" on 5432 (or the next free port); two installed versions are fine.
pg_cluster_for_port() {
  local port=$1 found version
  found=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$port" '$3 == p { print $1, $2; exit }')
  if [ -n "$found" ]; then
    echo "$found"
    return 0
  fi
  version=$(find "${PG_LIB_DIR:-/usr/lib/postgresql}" -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
    awk -F/ '{ print $(NF - 2) }' | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "no PostgreSQL server binary under ${PG_LIB_DIR:-/usr/lib/postgresql}" >&2
    exit 1
  fi
  # UTF-8 whatever the machine's locale: a fresh Debian root has none (C), and initdb
  # would then make a SQL_ASCII cluster that refuses Nepali text ("conversion between
  # UTF8 and SQL_ASCII is not supported").
  pg_createcluster --encoding UTF8 --locale C.UTF-8 --port "$port" "$version" "tingting$port" >/dev/null
  echo "$version tingting$port"
}

ensure_postgres() {
  local url=$1 host port user password
  read -r host port user password <<<"$(url_parts "$url")"
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
    :
  elif is_local "$host"; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      what_var=TEST_DATABASE_URL need_packages PostgreSQL postgresql
      still_missing pg_ctlcluster pg_lsclusters pg_createcluster pg_isready
    fi
    local cluster version name
    cluster=$(pg_cluster_for_port "$port")
    read -r version name <<<"$cluster"
    echo "starting PostgreSQL $version cluster $name on port $port"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
    wait_for "PostgreSQL $version/$name on port $port" "/var/log/postgresql/postgresql-$version-$name.log" \
      pg_isready -q -h "$host" -p "$port"
  fi
  command -v pg_isready >/dev/null 2>&1 || what_var=TEST_DATABASE_URL need_packages "PostgreSQL client" postgresql-client
  wait_for "PostgreSQL at $host:$port" "" pg_isready -q -h "$host" -p "$port"
  # Debian's default pg_hba asks TCP clients for a scram-sha-256 password, so the
  # passwordless URL is refused: give the local superuser a password once (as
  # root, over the peer-authenticated socket) and put it in the URL.
  if ! pg_login "$url" 2>/dev/null; then
    if is_local "$host" && [ -z "$password" ] && [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
      echo "PostgreSQL refuses ${user:-postgres}@$host:$port without a password; setting one for local tests"
      (cd / && runuser -u postgres -- psql -q -p "$port" -c "ALTER USER \"${user:-postgres}\" PASSWORD 'postgres'") >/dev/null
      DATABASE_URL=$(with_password "$url" postgres)
      export DATABASE_URL
      url=$DATABASE_URL
    fi
    if ! pg_login "$url"; then
      echo "cannot log in to PostgreSQL with $url: set TEST_DATABASE_URL to a URL that can" >&2
      exit 1
    fi
  fi
  # The test database is copied from template1: it must be UTF-8 (Nepali text).
  local encoding
  encoding=$(pg_encoding "$url")
  if [ "$encoding" != UTF8 ]; then
    echo "PostgreSQL at $host:$port encodes $encoding, not UTF8, and would refuse Nepali text." >&2
    echo "  Point TEST_DATABASE_URL at a UTF-8 cluster (pg_createcluster --encoding UTF8 --locale C.UTF-8)." >&2
    exit 1
  fi
}

pg_encoding() {
  python -c 'import sys, psycopg
with psycopg.connect(sys.argv[1], dbname="template1", connect_timeout=5) as conn:
    encoding = conn.execute("SHOW server_encoding").fetchone()[0]
print(encoding.decode() if isinstance(encoding, bytes) else encoding)' "$1"
}

pg_login() {
  python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], dbname="postgres", connect_timeout=5).close()' "$1"
}

with_password() {
  python - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
netloc = f"{url.username or 'postgres'}:{sys.argv[2]}@{url.hostname}:{url.port or 5432}"
print(url._replace(netloc=netloc).geturl())
PY
}

ensure_redis() {
  local url=$1 host port _user _password
  read -r host port _user _password <<<"$(url_parts "$url")"
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
    return 0
  fi
  if is_local "$host"; then
    if ! command -v redis-server >/dev/null 2>&1; then
      what_var=TEST_CELERY_BROKER_URL need_packages Redis redis-server
      still_missing redis-server redis-cli
    fi
    local log="$TINGTING_VAR_DIR/redis-$port.log"
    mkdir -p "$TINGTING_VAR_DIR"
    echo "starting redis-server on $host:$port"
    redis-server --daemonize yes --bind "$host" --port "$port" --save "" --appendonly no --logfile "$log" || true
    wait_for "Redis on $host:$port" "$log" redis-cli -h "$host" -p "$port" ping
  else
    command -v redis-cli >/dev/null 2>&1 || what_var=TEST_CELERY_BROKER_URL need_packages "Redis client" redis-tools
    wait_for "Redis at $host:$port" "" redis-cli -h "$host" -p "$port" ping
  fi
}
