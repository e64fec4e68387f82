# Shared set-up for scripts/run and scripts/test. Sourced, not executed.
# Creates .venv and installs the pinned packages whenever the pins change.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return
    fi
  done
  echo "Python 3.11 or newer is needed (none found on PATH)." >&2
  exit 1
}

# ensure_venv REQUIREMENTS_FILE: the venv, with those requirements under constraints.txt.
ensure_venv() {
  local requirements="$1"
  local stamp="$VENV/.installed"
  local wanted
  wanted="$(cat "$ROOT/$requirements" "$ROOT/requirements.txt" "$ROOT/constraints.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)-$requirements"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in .venv"
    "$(pick_python)" -m venv "$VENV"
  fi
  say "Installing pinned packages ($requirements)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$ROOT/$requirements" -c "$ROOT/constraints.txt"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
  echo "$wanted" > "$stamp"
}
