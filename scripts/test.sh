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
#   lowest       the Azure module tests on the oldest versions requirements.txt allows (its `>=` bounds
#                as `==` pins, in .venv-lowest), so the minimums it declares are ones the code works with
set -euo pipefail
all_stages=(changelog pytest sanity lint inventories molecule lowest)
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
  # Three workers on the machine's two cores: most of a test's time is waiting on ansible-playbook, the emulator or
  # PostgreSQL. loadfile keeps each file's tests, which share fixtures, together; tests/conftest.py puts the files of
  # slow tests first. The whole suite on this machine (5 Dec 2026; runs of one tree vary by a minute or more): two
  # workers in collection order 14:46; the slow files first 12:49 and 13:09; with three workers 11:34 and 11:45 (13:09
  # and 11:45 back to back on one clone), 13:02 in a fresh-clone CI run.
  python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-3}" --dist loadfile tests || rc=$?
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

# The `>=` bound of each requirement as an `==` pin (extras dropped: a pip constraint has none): every runtime
# requirement of requirements.txt, and ansible-core from requirements-dev.txt (meta/runtime.yml's
# requires_ansible). A runtime requirement without a `>=` bound fails: it would declare no minimum to test.
lowest_pins() {
  { cat requirements.txt; grep -E '^ansible-core[ <>=]' requirements-dev.txt; } |
  awk '{ sub(/#.*/, ""); gsub(/[ \t]/, "") } $0 == "" || /^-/ { next }
       { name = $0; sub(/[\[<>=!~;].*/, "", name)
         if (!match($0, />=[^,;]+/)) { print "requirements.txt: " $0 " has no >= lower bound" > "/dev/stderr"; bad = 1; next }
         print name "==" substr($0, RSTART + 2, RLENGTH - 2) }
       END { exit bad }'
}

# What the stage runs (about 3 minutes on the 2-core CI machine): the Azure module unit tests, the contract of
# every Azure module (real ansible-playbook runs of each module against the emulator: the SDK models, pollers and
# as_dict() shapes and operation groups the minimums must have), and the database modules' tier test (psycopg's
# minimum).
LOWEST_TESTS_DEFAULT="tests/unit/azure tests/integration/azure/test_contract.py tests/integration/azure/test_contract_data_tier.py
  tests/integration/azure/test_contract_readonly.py tests/integration/azure/test_discovery_cache.py
  tests/integration/azure/test_tls_verification.py
  tests/integration/database/test_modules_tier.py"

stage_lowest() {
  # A venv of its own: the runtime requirements and ansible-core at their lowest allowed versions (constraints),
  # the test tools of requirements-dev.txt at the versions pip picks with those pins (not ansible-lint, molecule, ansible-builder, ansible-runner,
  # antsibull-changelog: no test here runs them). Rebuilt when either file changes.
  local venv="$repo/.venv-lowest" pins want
  pins=$(lowest_pins)
  want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "lowest: creating .venv-lowest with $(printf '%s\n' "$pins" | paste -sd' ')"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    printf '%s\n' "$pins" > "$venv/constraints.txt"
    grep -vE '^(-r |ansible-lint|molecule|antsibull-changelog|ansible-builder|ansible-runner)' requirements-dev.txt > "$venv/requirements-test.txt"
    "$venv/bin/python" -m pip install -q -c "$venv/constraints.txt" -r requirements.txt -r "$venv/requirements-test.txt"
    echo "$want" > "$venv/.requirements.sha256"
  fi
  # The installed versions must be the pins (a constraint pip could not meet fails the install above).
  "$venv/bin/python" -m pip freeze | grep -iE "^($(printf '%s\n' "$pins" | sed 's/==.*//' | paste -sd'|'))==" \
    | paste -sd' ' | sed 's/^/lowest: /'
  # The modules and ansible-playbook run on .venv-lowest (tests/lib/ansible_run.py takes pytest's interpreter);
  # the emulator stays on .venv, as in the pytest stage (tests/lib/emulator.py: ARM_EMULATOR_PYTHON).
  local rc=0
  # --dist load, not loadfile: the contract tests share only session fixtures, so both workers take a share of them.
  # shellcheck disable=SC2086  # LOWEST_TESTS is a list of paths
  ARM_EMULATOR_PYTHON="$repo/.venv/bin/python" PATH="$venv/bin:$PATH" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" --dist load \
    ${LOWEST_TESTS:-$LOWEST_TESTS_DEFAULT} || rc=$?
  [ "$rc" = 5 ] && echo "test: pytest collected no tests: that is a failure" >&2
  return "$rc"
}

for s in "${stages[@]}"; do
  echo "=== test: $s"
  started=$SECONDS
  "stage_$s"
  echo "=== test: $s passed in $(( SECONDS - started )) s"   # where CI's time goes (a failed stage exits above)
done
echo "=== test: all stages passed (${stages[*]}) in $SECONDS s, setup included"
