#!/usr/bin/env bash
# The local sandbox: no Azure account needed. Sets up (scripts/setup.sh), starts a PostgreSQL 15
# cluster and the local ARM emulator under ./sandbox/ (gitignored), then deploys global-dev and
# westeu-dev-1 end to end (resource groups, networks, Key Vaults, PostgreSQL servers, databases,
# schemas with row level security, seed data) and prints where everything is. Run it again: the
# recap shows changed=0. Tear down: bash scripts/sandbox-down.sh. Details: docs/sandbox.md.
#   SANDBOX_DIR       state directory (default ./sandbox)
#   SANDBOX_LATENCY   emulator config with a latency profile (e.g. bench/deploy/profile.json)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
sandbox=$(mkdir -p "${SANDBOX_DIR:-$repo/sandbox}" && cd "${SANDBOX_DIR:-$repo/sandbox}" && pwd)
inventories=(-i inventories/global-dev -i inventories/westeu-dev-1)

.venv/bin/python tools/sandbox/services.py up "$sandbox" ${SANDBOX_LATENCY:+--latency "$SANDBOX_LATENCY"}
# shellcheck source=/dev/null
. "$sandbox/env.sh"
export PATH="$repo/.venv/bin:$PATH" SANDBOX_DIR="$sandbox"
mkdir -p "$sandbox/logs"

run() {  # run one playbook, keep its log, stop on failure
  local name=$1; shift
  echo "=== sandbox: ansible-playbook playbooks/$name.yml ${inventories[*]} $*"
  local rc=0
  ansible-playbook "playbooks/$name.yml" "${inventories[@]}" -e "@$sandbox/ansible-vars.yml" "$@" 2>&1 | tee "$sandbox/logs/$name.log" || rc=$?
  [ "$rc" = 0 ] || { echo "sandbox: playbooks/$name.yml failed (exit $rc); log: $sandbox/logs/$name.log" >&2; exit "$rc"; }
}
run deploy

.venv/bin/python tools/sandbox/report.py "$sandbox" "$sandbox/logs/deploy.log"
