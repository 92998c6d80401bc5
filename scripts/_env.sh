# Shared by scripts/run and scripts/test: make .venv and install ILMS into it when needed.
# Usage: source scripts/_env.sh [extra]   (extra: "dev" for the test tools)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
EXTRA="${1:-}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the dependency list changed (a stamp of setup.cfg and the extra).
hash="$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)"
stamp=".venv/.ilms-installed-$hash-${EXTRA:-base}"
if [ ! -f "$stamp" ] && [ ! -f ".venv/.ilms-installed-$hash-dev" ]; then
  echo "==> installing ILMS${EXTRA:+ with [$EXTRA]} into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "$EXTRA" ]; then
    .venv/bin/python -m pip install --quiet -e ".[$EXTRA]"
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  find .venv -maxdepth 1 -name '.ilms-installed-*' ! -name ".ilms-installed-$hash-*" -delete
  touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
export FLASK_APP=ilms
