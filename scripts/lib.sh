# shellcheck shell=bash
# Shared set-up helpers for scripts/run and scripts/test. Source it, don't run it.
#
# Every ensure_* function is idempotent: it checks first and installs or starts
# only what is missing.
#
# Environment variables read:
#   DATABASE_URL               if set, ensure_postgres uses that server (and
#                              scripts/run that database) instead of looking for one
#   GUICHET_FORCE_PRIVATE_PG=1 skip DATABASE_URL and 127.0.0.1:5432 and always use
#                              the private cluster on 127.0.0.1:55432 (for testing
#                              this script, or to keep away from a shared server)
#   GUICHET_PRIVATE_PG_PORT    port of that private cluster (default 55432; give
#                              each checkout that runs tests at once its own)
#
# Environment variables exported:
#   PATH                   with ~/.cargo/bin (and npm's global bin) in front
#   PG_BASE_URL            postgres://user@host:port, no database name
#   GUICHET_DATABASE_NAME  the database named in DATABASE_URL, when one was given
#   GUICHET_PG_DATA        data directory of the private cluster, when that is used

set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PROJECT_ROOT

CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_NPM_VERSION="132"
PRIVATE_PG_PORT="${GUICHET_PRIVATE_PG_PORT:-55432}"

if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO=""
fi

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ ${EUID:-$(id -u)} -eq 0 ]]; }

# Put a directory in front of PATH unless it is already there.
path_prepend() {
    case ":$PATH:" in
        *":$1:"*) ;;
        *) PATH="$1:$PATH" ;;
    esac
    export PATH
}

path_prepend "$HOME/.cargo/bin"

_APT_UPDATED=""
# apt_install PKG... : install Debian packages (apt-get update once per run).
apt_install() {
    if ! is_root && [[ -z $SUDO ]]; then
        die "need to install $* but not root and sudo is not available; install it and re-run"
    fi
    if [[ -z $_APT_UPDATED ]]; then
        step "apt-get update"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
        _APT_UPDATED=1
    fi
    step "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        step "node $(node --version) and npm present"
    else
        apt_install nodejs npm
    fi
}

# ---------------------------------------------------------------------------
# Rust / build tools
# ---------------------------------------------------------------------------

# locked_version CRATE: the version of CRATE pinned in Cargo.lock (empty if none).
locked_version() {
    local lock="$PROJECT_ROOT/Cargo.lock"
    [[ -f $lock ]] || return 0
    awk -v name="$1" '
        /^\[\[package\]\]/ { in_package = 0; next }
        $0 == "name = \"" name "\"" { in_package = 1; next }
        in_package && /^version = "/ { gsub(/^version = "|"$/, ""); print; exit }
    ' "$lock"
}

# sqlx-cli at the sqlx version of Cargo.lock, PostgreSQL only: `cargo sqlx
# prepare` writes and checks the checked queries' offline data (.sqlx/).
ensure_sqlx_cli() {
    local want have
    want="$(locked_version sqlx)"
    [[ -n $want ]] || die "no sqlx package in Cargo.lock"
    have="$(sqlx --version 2>/dev/null | awk '{print $2}' || true)"
    if [[ $have == "$want" ]]; then
        step "sqlx-cli $want present (matches Cargo.lock)"
    else
        step "installing sqlx-cli $want to match Cargo.lock (found: ${have:-none}; takes a few minutes)"
        cargo install sqlx-cli --locked --version "$want" --no-default-features --features postgres,rustls --force
    fi
}

# cargo-nextest, which runs the server's one test binary with a process per
# test (so a test's global state, such as a log subscriber, stays its own).
ensure_nextest() {
    if cargo nextest --version >/dev/null 2>&1; then
        step "cargo-nextest present ($(cargo nextest --version 2>/dev/null | head -n1))"
    else
        step "installing cargo-nextest (takes a few minutes)"
        cargo install cargo-nextest --locked
    fi
}

# cargo, rustup, the wasm target and the rustfmt and clippy components: what
# the lint gates (scripts/test lint) need, without the build tools.
ensure_rust_toolchain() {
    command -v cargo >/dev/null 2>&1 || die "cargo not found (looked on PATH and in ~/.cargo/bin); install Rust with rustup"
    command -v rustup >/dev/null 2>&1 || die "rustup not found (looked on PATH and in ~/.cargo/bin)"

    if rustup target list --installed | grep -x 'wasm32-unknown-unknown' >/dev/null; then
        step "rust target wasm32-unknown-unknown present"
    else
        step "rustup target add wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi

    local component
    for component in rustfmt clippy; do
        if rustup component list --installed | grep -q "^$component"; then
            step "rust component $component present"
        else
            step "rustup component add $component"
            rustup component add "$component"
        fi
    done
}

ensure_rust_tools() {
    ensure_rust_toolchain

    local have
    have="$(cargo leptos --version 2>/dev/null || true)"
    if grep -qwF "$CARGO_LEPTOS_VERSION" <<<"$have"; then
        step "cargo-leptos $CARGO_LEPTOS_VERSION present"
    else
        step "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes 15-30 minutes the first time)"
        cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads
    fi

    ensure_sqlx_cli

    local want
    want="$(locked_version wasm-bindgen)"
    if [[ -z $want ]]; then
        warn "no wasm-bindgen package in Cargo.lock; skipping the wasm-bindgen-cli check"
    else
        have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
        if [[ $have == "$want" ]]; then
            step "wasm-bindgen-cli $want present (matches Cargo.lock)"
        else
            step "installing wasm-bindgen-cli $want to match Cargo.lock (found: ${have:-none}; takes a few minutes)"
            cargo install wasm-bindgen-cli --version "$want" --force
        fi
    fi

    if wasm-opt --version >/dev/null 2>&1; then
        step "wasm-opt present ($(wasm-opt --version 2>/dev/null | head -n1))"
    else
        ensure_node
        step "npm install -g binaryen@$BINARYEN_NPM_VERSION (provides wasm-opt)"
        if is_root || [[ -n $SUDO ]]; then
            $SUDO npm install -g "binaryen@$BINARYEN_NPM_VERSION"
        else
            npm install -g --prefix "$HOME/.local" "binaryen@$BINARYEN_NPM_VERSION"
            path_prepend "$HOME/.local/bin"
        fi
        path_prepend "$(npm prefix -g 2>/dev/null)/bin"
        wasm-opt --version >/dev/null 2>&1 || die "wasm-opt still not runnable after installing binaryen"
    fi
}

# ---------------------------------------------------------------------------
# Browser test tools
# ---------------------------------------------------------------------------

ensure_browser_tools() {
    if [[ -x /usr/bin/chromium ]]; then
        step "chromium present (/usr/bin/chromium)"
    else
        apt_install chromium
    fi

    ensure_node

    local dir="$PROJECT_ROOT/end2end"
    if [[ ! -f $dir/package.json ]]; then
        warn "end2end/package.json missing; skipping npm install"
        return 0
    fi
    local stamp="$dir/node_modules/.package-lock.json"
    if [[ -d $dir/node_modules && -f $stamp && ! $dir/package.json -nt $stamp ]] &&
        [[ ! -f $dir/package-lock.json || ! $dir/package-lock.json -nt $stamp ]]; then
        step "end2end/node_modules up to date"
    else
        step "npm install in end2end/ (browsers are not downloaded; tests use /usr/bin/chromium)"
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund)
        # npm may write package-lock.json after its node_modules copy: mark done.
        touch "$stamp"
    fi
}

# A real SMTP server for the notification tests (server/tests/notifications.rs):
# Debian's aiosmtpd, run with /usr/bin/python3 (or a python3 on PATH that has it).
ensure_test_smtp() {
    if python3 -c 'import aiosmtpd' >/dev/null 2>&1 || /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
        step "aiosmtpd present"
    else
        apt_install python3-aiosmtpd
    fi
}

# The real Python Sentry SDK (PyPI's sentry-sdk, SENTRY_SDK_VERSION) in a
# virtual environment under .build/python, for the error intake's tests
# (server/tests/errors.rs runs .build/python/bin/python, or
# GUICHET_TEST_PYTHON). Idempotent: installs only when that version is missing.
SENTRY_SDK_VERSION="2.19.2"
ensure_sentry_sdk() {
    local venv="$PROJECT_ROOT/.build/python"
    if [[ -x $venv/bin/python ]] &&
        "$venv/bin/python" -c "import sentry_sdk, sys; sys.exit(sentry_sdk.VERSION != '$SENTRY_SDK_VERSION')" >/dev/null 2>&1; then
        step "sentry-sdk $SENTRY_SDK_VERSION present ($venv)"
        return
    fi
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        apt_install python3-venv
    fi
    step "installing sentry-sdk $SENTRY_SDK_VERSION from PyPI into $venv"
    mkdir -p "$PROJECT_ROOT/.build"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "sentry-sdk==$SENTRY_SDK_VERSION"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

ensure_psql() {
    if ! command -v psql >/dev/null 2>&1; then
        apt_install postgresql-client
    fi
}

# psql_admin ARGS... : psql on the maintenance database of $PG_BASE_URL.
psql_admin() {
    [[ -n ${PG_BASE_URL:-} ]] || die "psql_admin: PG_BASE_URL not set (call ensure_postgres first)"
    psql "$PG_BASE_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"
}

# recreate_database NAME : drop (disconnecting its sessions) and create NAME.
recreate_database() {
    local name="$1"
    step "recreating database $name"
    psql_admin -v name="$name" <<'SQL'
DROP DATABASE IF EXISTS :"name" WITH (FORCE);
CREATE DATABASE :"name";
SQL
}

# create_database_if_missing NAME
create_database_if_missing() {
    local name="$1" exists
    exists="$(psql_admin -v name="$name" <<<"SELECT 1 FROM pg_database WHERE datname = :'name';")"
    if [[ $exists == 1 ]]; then
        step "database $name exists"
    else
        step "creating database $name"
        psql_admin -v name="$name" <<<'CREATE DATABASE :"name";'
    fi
}

# Directory holding initdb/pg_ctl: the version matching an existing data
# directory if there is one, else the highest /usr/lib/postgresql/<ver>/bin,
# else wherever initdb is on PATH. Prints nothing if none is found.
find_pg_bindir() {
    local datadir="${1:-}" ver dir
    if [[ -n $datadir && -f $datadir/PG_VERSION ]]; then
        ver="$(cat "$datadir/PG_VERSION")"
        if [[ -x /usr/lib/postgresql/$ver/bin/initdb ]]; then
            echo "/usr/lib/postgresql/$ver/bin"
            return 0
        fi
    fi
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    if [[ -n $dir && -x $dir/initdb ]]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
    fi
}

# Run a command as the owner of the private cluster (postgres when we are root,
# since initdb/postgres refuse to run as root).
as_pg_owner() {
    if ! is_root; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
}

# Where the private cluster lives: .build/postgres in the project, unless we
# are root and the postgres user cannot reach the project directory (e.g. it
# is under /root), then /var/tmp/guichet-postgres-<hash of project path>.
private_pg_datadir() {
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    if is_root && ! as_pg_owner sh -c 'cd "$1"' sh "$PROJECT_ROOT" 2>/dev/null; then
        local hash
        hash="$(printf '%s' "$PROJECT_ROOT" | sha256sum | cut -c1-12)"
        echo "/var/tmp/guichet-postgres-$hash"
    else
        echo "$PROJECT_ROOT/.build/postgres"
    fi
}

start_private_postgres() {
    local bindir datadir
    bindir="$(find_pg_bindir)"
    if [[ -z $bindir ]]; then
        apt_install postgresql
        bindir="$(find_pg_bindir)"
        [[ -n $bindir ]] || die "initdb not found even after installing postgresql"
    fi
    if is_root && ! id postgres >/dev/null 2>&1; then
        step "creating system user postgres"
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi

    datadir="$(private_pg_datadir)"
    if [[ $datadir != "$PROJECT_ROOT/.build/postgres" ]]; then
        note "the postgres user cannot reach $PROJECT_ROOT; private cluster goes to $datadir"
    fi
    bindir="$(find_pg_bindir "$datadir")"

    if [[ ! -f $datadir/PG_VERSION ]]; then
        step "initdb of private PostgreSQL cluster in $datadir ($bindir)"
        mkdir -p "$datadir"
        chmod 700 "$datadir"
        if is_root; then chown postgres:postgres "$datadir"; fi
        local locale_opt=(--no-locale)
        if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then locale_opt=(--locale=C.UTF-8); fi
        as_pg_owner "$bindir/initdb" -D "$datadir" -U postgres --auth=trust -E UTF8 "${locale_opt[@]}" >/dev/null
        # A unix socket path longer than ~107 bytes is rejected: go TCP-only then.
        local sockdir="$datadir"
        if (( ${#datadir} > 90 )); then sockdir=""; fi
        # shellcheck disable=SC2016 # $1 is expanded by the inner sh
        as_pg_owner sh -c 'cat >>"$1/postgresql.conf"' sh "$datadir" <<EOF

# --- added by guichet scripts/lib.sh ---
listen_addresses = '127.0.0.1'
port = $PRIVATE_PG_PORT
unix_socket_directories = '$sockdir'
max_connections = 200
synchronous_commit = off
EOF
    fi

    if as_pg_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
        step "private PostgreSQL already running ($datadir)"
    else
        step "starting private PostgreSQL on 127.0.0.1:$PRIVATE_PG_PORT (log: $datadir/log)"
        if ! as_pg_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/log" -w start >/dev/null; then
            tail -n 20 "$datadir/log" >&2 || true
            die "could not start PostgreSQL in $datadir"
        fi
    fi
    export GUICHET_PG_DATA="$datadir"
    PG_BASE_URL="postgres://postgres@127.0.0.1:$PRIVATE_PG_PORT"
}

server_on_5432() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p 5432 -t 3
    else
        psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -qAt -c 'select 1' >/dev/null 2>&1
    fi
}

ensure_postgres() {
    ensure_psql
    if [[ -n ${DATABASE_URL:-} && ${GUICHET_FORCE_PRIVATE_PG:-} != 1 ]]; then
        # postgres://user:pass@host:port/dbname?params -> base and dbname
        local rest="${DATABASE_URL#*://}"
        local scheme="${DATABASE_URL%%://*}"
        [[ $rest != "$DATABASE_URL" ]] || die "DATABASE_URL is not a URL: $DATABASE_URL"
        local authority="${rest%%/*}" path=""
        [[ $rest == */* ]] && path="${rest#*/}"
        [[ $path == *\?* ]] && warn "query parameters of DATABASE_URL (?${path#*\?}) are not carried over to PG_BASE_URL"
        path="${path%%\?*}"
        PG_BASE_URL="$scheme://$authority"
        if [[ -n $path ]]; then
            export GUICHET_DATABASE_NAME="$path"
        fi
        step "PostgreSQL: using the server from DATABASE_URL ($PG_BASE_URL${path:+, database $path})"
    elif [[ ${GUICHET_FORCE_PRIVATE_PG:-} != 1 ]] && server_on_5432; then
        PG_BASE_URL="postgres://postgres@127.0.0.1:5432"
        step "PostgreSQL: using the server answering on 127.0.0.1:5432"
    else
        [[ ${GUICHET_FORCE_PRIVATE_PG:-} == 1 ]] && note "GUICHET_FORCE_PRIVATE_PG=1: skipping DATABASE_URL and port 5432"
        start_private_postgres
        step "PostgreSQL: using the private cluster at $PG_BASE_URL"
    fi
    export PG_BASE_URL

    local unaccent
    if ! unaccent="$(psql_admin -c "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'" 2>&1)"; then
        die "cannot connect to $PG_BASE_URL/postgres: $unaccent"
    fi
    if [[ $unaccent != 1 ]]; then
        warn "the unaccent extension is not available on $PG_BASE_URL (Debian: install postgresql-contrib on that server)"
    fi
}

# ---------------------------------------------------------------------------
# Checked SQL (sqlx's query! macros and their offline data in .sqlx/)
# ---------------------------------------------------------------------------

# The cargo arguments `cargo sqlx prepare` compiles with: every crate with
# checked queries, on the server side (`app` gets `ssr` from `server`; a
# `--workspace` build would add `hydrate` too).
SQLX_PREPARE_CARGO_ARGS=(-p server -p bench --all-targets)

# sqlx_prepare [--check] : recreate database guichet_sqlx (GUICHET_SQLX_DATABASE), apply the
# migrations, and write .sqlx/ from it (or, with --check, fail when .sqlx/
# differs from what the queries and migrations give now). Needs ensure_postgres.
sqlx_prepare() {
    local database="${GUICHET_SQLX_DATABASE:-guichet_sqlx}"
    recreate_database "$database"
    step "sqlx migrate run ($database)"
    DATABASE_URL="$PG_BASE_URL/$database" sqlx migrate run --source "$PROJECT_ROOT/migrations"
    step "cargo sqlx prepare --workspace $* -- ${SQLX_PREPARE_CARGO_ARGS[*]}"
    (cd "$PROJECT_ROOT" &&
        DATABASE_URL="$PG_BASE_URL/$database" cargo sqlx prepare --workspace "$@" -- "${SQLX_PREPARE_CARGO_ARGS[@]}")
}
