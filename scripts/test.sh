#!/usr/bin/env bash
# The README's test command. Sets up (scripts/setup.sh), then runs every stage; any failing
# stage fails the run. Stages can be picked: scripts/test.sh pytest sanity
#   changelog    antsibull-changelog lint of the fragments
#   pytest       unit tests + integration tests (real PostgreSQL, the local ARM emulator);
#                pytest's exit 5 (nothing collected) is a failure like any other
#   sanity       ansible-test sanity, every test that runs without Docker
#   lint         ansible-lint, production profile
#   inventories  validation of all inventories together + the offline plan of each
#   molecule     one molecule scenario per role (converge, idempotence, verify), no Docker
set -euo pipefail
all_stages=(changelog pytest sanity lint inventories molecule)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")
for s in "${stages[@]}"; do  # a typo fails here, before the setup
  [[ " ${all_stages[*]} " == *" $s "* ]] || { echo "scripts/test.sh: unknown stage '$s'; stages: ${all_stages[*]}" >&2; exit 2; }
done
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$repo/.collections"
export ANSIBLE_CONFIG="$repo/ansible.cfg"

stage_changelog() { antsibull-changelog lint; }

stage_pytest() {
  local rc=0
  # Two workers (the machine has two cores; most of a test's time is waiting on ansible-playbook,
  # the emulator or PostgreSQL). loadfile keeps each file's tests, which share fixtures, together.
  python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" --dist loadfile tests || rc=$?
  [ "$rc" = 5 ] && echo "test: pytest collected no tests: that is a failure" >&2
  return "$rc"
}

stage_sanity() {
  # ansible-test wants the collection at ansible_collections/<ns>/<name>; copy what git
  # would commit (tracked + untracked-but-not-ignored) into a throwaway tree.
  # The tree lives outside this checkout: inside it, ansible-test would ask this repo's git
  # which files exist and find the copy ignored.
  local top; top=$(mktemp -d /tmp/cf-sanity.XXXXXX)
  local tree="$top/ansible_collections/complianceflow/infra"
  mkdir -p "$tree"
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"; done | xargs -0 cp --parents -t "$tree"
  local rc=0
  (cd "$tree" && ansible-test sanity --venv --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no) || rc=$?
  rm -rf "$top"
  return "$rc"
}

stage_lint() {
  # ansible-lint installs a copy of the collection under ~/.ansible/collections; left there, it shadows this
  # checkout's code for later ansible and molecule runs (molecule warns and uses it). Remove it when lint made it.
  local copy="$HOME/.ansible/collections/ansible_collections/complianceflow/infra" had=0 rc=0
  [ -e "$copy" ] && had=1
  ansible-lint --profile production --strict || rc=$?
  [ "$had" = 1 ] || rm -rf "$copy"
  return "$rc"
}

stage_inventories() { bash scripts/validate-inventories.sh; }

stage_molecule() { bash scripts/test-molecule.sh; }

for s in "${stages[@]}"; do
  echo "=== test: $s"
  "stage_$s"
done
echo "=== test: all stages passed (${stages[*]})"
