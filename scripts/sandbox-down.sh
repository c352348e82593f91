#!/usr/bin/env bash
# Tear the local sandbox down: playbooks/teardown.yml over westeu-dev-1 then global-dev, or, when the sandbox
# holds the whole estate (scripts/sandbox.sh --all, recorded in ./sandbox/deployments), over every deployment,
# the regional ones first (seed data exported to ./sandbox/exports/ first; the audit groups deleted too: the sandbox
# keeps no evidence; its prod deployments are confirmed by name here: the sandbox is disposable), then stop the ARM
# emulator and the PostgreSQL clusters and delete their state. Kept: ./sandbox/exports and ./sandbox/logs.
# Running it twice is harmless.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
sandbox=${SANDBOX_DIR:-$repo/sandbox}
if [ ! -f "$sandbox/env.sh" ]; then
  echo "sandbox-down: no running sandbox under $sandbox (no env.sh): nothing to do"
  exit 0
fi
sandbox=$(cd "$sandbox" && pwd)
bash scripts/setup.sh >/dev/null
.venv/bin/python tools/sandbox/services.py up "$sandbox" >/dev/null  # the services must run for the export and teardown
# shellcheck source=/dev/null
. "$sandbox/env.sh"
export PATH="$repo/.venv/bin:$PATH"
mkdir -p "$sandbox/logs"
if [ -f "$sandbox/deployments" ] && [ "$(cat "$sandbox/deployments")" = all ]; then
  mapfile -t names < <(.venv/bin/python tools/sandbox/deployments.py teardown)
else
  names=(westeu-dev-1 global-dev)
fi
inventories=()
prod=()
for name in "${names[@]}"; do
  inventories+=(-i "inventories/$name")
  case "$name" in *-prod|*-prod-*) prod+=("$name") ;; esac
done
confirm=()
if [ "${#prod[@]}" -gt 0 ]; then confirm=(-e "confirm_teardown=$(IFS=,; echo "${prod[*]}")"); fi
rc=0
started=$(date +%s)
ansible-playbook playbooks/teardown.yml "${inventories[@]}" --forks "${#names[@]}" -e "@$sandbox/ansible-vars.yml" \
  -e teardown_delete_audit=true "${confirm[@]}" 2>&1 | tee "$sandbox/logs/teardown.log" || rc=$?
echo "sandbox-down: playbooks/teardown.yml took $(( $(date +%s) - started )) s" | tee -a "$sandbox/logs/teardown.log"
if [ "$rc" != 0 ]; then
  echo "sandbox-down: teardown failed (exit $rc); the emulator and PostgreSQL keep running so you can look: $sandbox/logs/teardown.log" >&2
  exit "$rc"
fi
.venv/bin/python tools/sandbox/services.py down "$sandbox"
rm -f "$sandbox/deployments"
echo "sandbox-down: done; exports kept under $sandbox/exports"
