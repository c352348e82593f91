#!/usr/bin/env bash
# Every molecule scenario of extensions/molecule (one per role; converge, idempotence, verify), with
# no Docker: starts what they need (a PostgreSQL 15 cluster and the ARM emulator, under .tmp/), runs
# them one by one, stops the services, and exits nonzero when any scenario failed.
#   bash scripts/test-molecule.sh                      # all scenarios
#   bash scripts/test-molecule.sh network database_seed   # some
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
[ -x .venv/bin/molecule ] || bash scripts/setup.sh
export PATH="$repo/.venv/bin:$PATH"

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  mapfile -t scenarios < <(find extensions/molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi

# Under the repo (gitignored .tmp/): the postgres OS user must be able to traverse the path.
state="$repo/.tmp/molecule-$$"
cleanup() { python tools/sandbox/services.py down "$state" >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT
python tools/sandbox/services.py up "$state"
# shellcheck source=/dev/null
. "$state/env.sh"

failed=()
for scenario in "${scenarios[@]}"; do
  echo "=== molecule: $scenario"
  # One ephemeral directory per scenario: a shared one would carry "already prepared" over.
  MOLECULE_EPHEMERAL_DIRECTORY="$state/ephemeral/$scenario" molecule test -s "$scenario" || failed+=("$scenario")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule: FAILED: ${failed[*]} (of ${#scenarios[@]})" >&2
  exit 1
fi
echo "molecule: all ${#scenarios[@]} scenarios passed: ${scenarios[*]}"
