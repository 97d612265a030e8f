# Sourced by scripts/test and scripts/demo: make .venv (Python >= 3.13; PYTHON picks one) hold
# exactly the pinned requirements given as $1. Re-installs only when that file changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    local candidate
    # PYTHON names the interpreter to use (CI's newest job: the newest Python 3.14).
    for candidate in ${PYTHON:-} python3.13 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        local version
        version="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[3-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -V | tail -n 1 || true)"
        if [ -n "$version" ]; then
            echo "$(pyenv root)/versions/$version/bin/python"; return 0
        fi
    fi
    echo "error: Python >= 3.13 not found on PATH or through pyenv" >&2
    return 1
}

minor_version() {
    "$1" -c 'import sys; print(*sys.version_info[:2], sep=".")'
}

ensure_venv() {
    local requirements="$ROOT/$1" stamp="$VENV/.installed-$(basename "$1")" python
    python="$(find_python)"
    # A venv of another Python (3.13 for the oldest tree, 3.14 for the newest) is made anew.
    if [ ! -x "$VENV/bin/python" ] || [ "$(minor_version "$VENV/bin/python")" != "$(minor_version "$python")" ]; then
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    local digest
    digest="$(cat "$requirements" "$ROOT/requirements_test.txt" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        echo "Installing pinned requirements from $1 into .venv ..." >&2
        local log="$VENV/pip-install.log"
        if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
                -r "$requirements" > "$log" 2>&1; then
            # Only a finished install is stamped: a failed one is retried next time.
            grep -v "^WARNING: Location '.*' is ignored" "$log" >&2 || true
            echo "error: installing $1 failed (full log: $log)" >&2
            return 1
        fi
        echo "$digest" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}
