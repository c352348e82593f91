#!/usr/bin/env bash
# The local sandbox: no Azure account needed. Sets up (scripts/setup.sh), starts the local ARM emulator under
# ./sandbox/ (gitignored), whose every PostgreSQL Flexible Server gets its own local PostgreSQL 15 cluster, then
# deploys global-dev and westeu-dev-1 end to end (resource groups, networks, Key Vaults, PostgreSQL servers,
# databases, schemas with row level security, seed data) and prints where everything is. Run it again: the recap
# shows changed=0. Tear down: bash scripts/sandbox-down.sh. Details: docs/sandbox.md.
#   bash scripts/sandbox.sh          global-dev + westeu-dev-1 (quick)
#   bash scripts/sandbox.sh --all    the whole estate: every inventory under inventories/, the global deployments
#                                    side by side, then the regional ones side by side (deploy.yml's order); seed
#                                    data as deploy.yml decides (dev deployments only)
#   SANDBOX_DIR       state directory (default ./sandbox)
#   SANDBOX_LATENCY   emulator config with a latency profile (e.g. bench/deploy/profile.json)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
case "${1:-}" in
  "") scope=pair ;;
  --all) scope=all ;;
  *) echo "usage: bash scripts/sandbox.sh [--all]" >&2; exit 2 ;;
esac
sandbox=$(mkdir -p "${SANDBOX_DIR:-$repo/sandbox}" && cd "${SANDBOX_DIR:-$repo/sandbox}" && pwd)
# What the sandbox holds, recorded for scripts/sandbox-down.sh: a sandbox that once held the whole estate keeps
# deploying (and tearing down) all of it.
if [ -f "$sandbox/deployments" ] && [ "$(cat "$sandbox/deployments")" = all ]; then scope=all; fi
bash scripts/setup.sh
if [ "$scope" = all ]; then
  # Every inventory, in the seed's order (data/... the CIDR table): deploy.yml runs every deployment side by side
  # (forks: one per deployment), a regional one waiting for its global one where it reads it (before Event Hubs).
  mapfile -t names < <(.venv/bin/python tools/sandbox/deployments.py all)
else
  names=(global-dev westeu-dev-1)
fi
inventories=()
for name in "${names[@]}"; do inventories+=(-i "inventories/$name"); done

.venv/bin/python tools/sandbox/services.py up "$sandbox" --postgres per-server ${SANDBOX_LATENCY:+--latency "$SANDBOX_LATENCY"}
echo "$scope" > "$sandbox/deployments"
# shellcheck source=/dev/null
. "$sandbox/env.sh"
export PATH="$repo/.venv/bin:$PATH" SANDBOX_DIR="$sandbox"
mkdir -p "$sandbox/logs"

run() {  # run one playbook, keep its log and wall time, stop on failure
  local name=$1; shift
  echo "=== sandbox: ansible-playbook playbooks/$name.yml ${inventories[*]} $*"
  local rc=0 started
  started=$(date +%s)
  ansible-playbook "playbooks/$name.yml" "${inventories[@]}" --forks "${#names[@]}" -e "@$sandbox/ansible-vars.yml" "$@" 2>&1 \
    | tee "$sandbox/logs/$name.log" || rc=$?
  echo "sandbox: playbooks/$name.yml took $(( $(date +%s) - started )) s" | tee -a "$sandbox/logs/$name.log"
  [ "$rc" = 0 ] || { echo "sandbox: playbooks/$name.yml failed (exit $rc); log: $sandbox/logs/$name.log" >&2; exit "$rc"; }
}
run deploy

.venv/bin/python tools/sandbox/report.py "$sandbox" "$sandbox/logs/deploy.log"
