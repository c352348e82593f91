#!/usr/bin/env bash
# Tear the local sandbox down: playbooks/teardown.yml over westeu-dev-1 then global-dev (seed data
# exported to ./sandbox/exports/ first; the audit groups deleted too: the sandbox keeps no evidence),
# then stop the ARM emulator and PostgreSQL and delete
# their state. Kept: ./sandbox/exports and ./sandbox/logs. Running it twice is harmless.
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
.venv/bin/python tools/sandbox/services.py up "$sandbox" >/dev/null  # both must run for the export and teardown
# shellcheck source=/dev/null
. "$sandbox/env.sh"
export PATH="$repo/.venv/bin:$PATH"
mkdir -p "$sandbox/logs"
rc=0
ansible-playbook playbooks/teardown.yml -i inventories/westeu-dev-1 -i inventories/global-dev -e "@$sandbox/ansible-vars.yml" -e teardown_delete_audit=true 2>&1 \
  | tee "$sandbox/logs/teardown.log" || rc=$?
if [ "$rc" != 0 ]; then
  echo "sandbox-down: teardown failed (exit $rc); the emulator and PostgreSQL keep running so you can look: $sandbox/logs/teardown.log" >&2
  exit "$rc"
fi
.venv/bin/python tools/sandbox/services.py down "$sandbox"
echo "sandbox-down: done; exports kept under $sandbox/exports"
