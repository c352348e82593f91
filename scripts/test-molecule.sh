#!/usr/bin/env bash
# Every molecule scenario of extensions/molecule (one per role but tenant_server; converge, idempotence, verify), with
# no Docker: starts what they need (a PostgreSQL 15 cluster and the ARM emulator per lane, under .tmp/),
# runs them in two lanes side by side, stops the services, and exits nonzero when any scenario failed.
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

# Scenarios run in MOLECULE_LANES lanes side by side (default 2, one per core: a scenario is a row of
# ansible-playbook runs, each busy on one core), each lane with its own PostgreSQL cluster and ARM
# emulator, so scenarios that use the same deployment's names never meet. A scenario's log is printed
# whole when it ends.
lanes=${MOLECULE_LANES:-2}
[[ "$lanes" =~ ^[1-9][0-9]*$ ]] || { echo "test-molecule: MOLECULE_LANES must be a positive integer, not '$lanes'" >&2; exit 2; }
# Under the repo (gitignored .tmp/): the postgres OS user must be able to traverse the path.
base="$repo/.tmp/molecule-$$"
cleanup() {
  for state in "$base"/lane-*/; do
    [ -d "$state" ] && { python tools/sandbox/services.py down "$state" >/dev/null 2>&1 || true; }
  done
  rm -rf "$base"
}
trap cleanup EXIT
mkdir -p "$base"
: > "$base/results"

run_lane() {  # <lane> <scenario>...: one "<scenario> <passed|FAILED>" line per scenario in $base/results
  local lane=$1; shift
  local state="$base/lane-$lane" scenario result
  if ! python tools/sandbox/services.py up "$state" > "$base/lane-$lane.log" 2>&1; then
    flock "$base/print.lock" cat "$base/lane-$lane.log" >&2
    for scenario in "$@"; do echo "$scenario FAILED" >> "$base/results"; done
    return
  fi
  # shellcheck source=/dev/null
  . "$state/env.sh"
  for scenario in "$@"; do
    # One ephemeral directory per scenario: a shared one would carry "already prepared" over.
    if MOLECULE_EPHEMERAL_DIRECTORY="$state/ephemeral/$scenario" molecule test -s "$scenario" > "$base/$scenario.log" 2>&1; then
      result=passed
    else
      result=FAILED
    fi
    # shellcheck disable=SC2016  # the positional parameters expand in the inner shell
    flock "$base/print.lock" sh -c 'echo "=== molecule: $1 ($2, lane $3)"; cat "$4"' _ "$scenario" "$result" "$lane" "$base/$scenario.log"
    echo "$scenario $result" >> "$base/results"
  done
}

for ((lane = 0; lane < lanes; lane++)); do
  mine=()
  for ((i = lane; i < ${#scenarios[@]}; i += lanes)); do mine+=("${scenarios[$i]}"); done
  [ ${#mine[@]} -gt 0 ] && (run_lane "$lane" "${mine[@]}") &
done
wait

mapfile -t failed < <(awk '$2 != "passed" { print $1 }' "$base/results")
if [ "$(wc -l < "$base/results")" != "${#scenarios[@]}" ]; then
  echo "molecule: $(wc -l < "$base/results") results for ${#scenarios[@]} scenarios" >&2
  exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule: FAILED: ${failed[*]} (of ${#scenarios[@]})" >&2
  exit 1
fi
echo "molecule: all ${#scenarios[@]} scenarios passed: ${scenarios[*]}"
