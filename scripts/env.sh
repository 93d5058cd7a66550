# Shared shell helpers for the Makefile's targets; sourced, not run.
# Everything here is idempotent: a second call does only what is missing.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$VAR"

# Settings from a local .env file, when there is one (see .env.example).
if [ -f "$ROOT/.env" ]; then
    set -a
    # shellcheck disable=SC1091
    . "$ROOT/.env"
    set +a
fi

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# apt_install PKG... : installs the Debian packages that are not installed yet.
apt_install() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! is_root; then
        die "missing system packages: ${missing[*]}. Install them (as root: apt-get install ${missing[*]}) and run again."
    fi
    log "installing system packages: ${missing[*]}"
    if [ ! -f "$VAR/.apt-updated" ] || [ -n "$(find "$VAR/.apt-updated" -mmin +1440 2>/dev/null)" ]; then
        apt-get update -qq
        touch "$VAR/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The packages the site needs at run time: PostgreSQL with PostGIS (the
# distribution's own major version, through the postgresql-postgis
# metapackage), GDAL/GEOS/PROJ for GeoDjango, gettext for translations.
system_packages_run() {
    local pkgs=(gdal-bin gettext ca-certificates)
    if [ -z "${DATABASE_URL:-}" ]; then
        pkgs+=(postgresql postgresql-postgis acl)
    else
        pkgs+=(postgresql-client)
    fi
    apt_install "${pkgs[@]}"
}

# What the tests need on top of the run-time packages.
system_packages_test() {
    # chromium for page tests; python3-qgis (system Python) as a real OGC API client.
    apt_install chromium fonts-dejavu-core python3-qgis
}

# find_python: a Python >= 3.12 (pygeoapi 0.24 and Django 6 need it).
find_python() {
    local candidates=(python3 python3.13 python3.12)
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    local c
    for c in "$root"/versions/3.13*/bin/python3 "$root"/versions/3.12*/bin/python3; do
        [ -x "$c" ] && candidates+=("$c")
    done
    for c in "${candidates[@]}"; do
        local exe
        exe=$(command -v "$c" 2>/dev/null) || continue
        # pyenv shims answer for versions that are not active: ask the interpreter itself.
        if "$exe" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            "$exe" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    return 1
}

# The virtual environment, rebuilt only when requirements.lock changes.
ensure_venv() {
    local want have=""
    want=$(sha256sum "$ROOT/requirements.lock" | cut -d' ' -f1)
    [ -f "$VENV/.lock-sha256" ] && have=$(cat "$VENV/.lock-sha256")
    if [ -x "$PY" ] && [ "$want" = "$have" ]; then
        return 0
    fi
    if [ ! -x "$PY" ]; then
        local python
        python=$(find_python) || die "no Python >= 3.12 found (tried python3, python3.13, python3.12 and pyenv). Install one, e.g. 'apt-get install python3.12' on Debian 13 or 'pyenv install 3.12', and run again."
        log "creating .venv with $python"
        "$python" -m venv "$VENV"
    fi
    log "installing Python packages from requirements.lock"
    "$VENV/bin/pip" install -q --disable-pip-version-check "uv==0.13.8"
    "$VENV/bin/uv" pip sync -q --python "$PY" "$ROOT/requirements.lock"
    echo "$want" > "$VENV/.lock-sha256"
}

# A secret key for local runs, made once and kept in var/.
ensure_secret_key() {
    if [ -z "${SECRET_KEY:-}" ]; then
        if [ ! -s "$VAR/secret_key" ]; then
            (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$VAR/secret_key")
        fi
        SECRET_KEY=$(cat "$VAR/secret_key")
        export SECRET_KEY
    fi
}

# The database: DATABASE_URL when given, else the project-local cluster.
ensure_database() {
    if [ -n "${DATABASE_URL:-}" ]; then
        return 0
    fi
    "$ROOT/scripts/localdb.sh" start
    DATABASE_URL=$("$ROOT/scripts/localdb.sh" url)
    export DATABASE_URL
}

# .mo files are build output, made where missing or older than their .po (geoportal/catalogues.py; the tests
# call the same code from tests/conftest.py, so `make test` leaves it to them).
compile_messages() {
    (cd "$ROOT" && "$PY" -m geoportal.catalogues)
}

setup_common() {
    system_packages_run
    ensure_venv
    ensure_secret_key
    ensure_database
}
