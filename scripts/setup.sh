#!/usr/bin/env bash
# Set up a fresh machine for this repo: system packages (PostgreSQL 15 with pgaudit and pgextwlist,
# which tools/local_postgres.py loads in every cluster), a Python virtualenv
# at .venv with requirements-dev.txt, and a link of this checkout into .collections so that
# playbooks and tests resolve complianceflow.infra.* from the working tree.
# Idempotent: a second run only checks.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

need_apt=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15 postgresql-client-15)
[ -f /usr/lib/postgresql/15/lib/pgaudit.so ] || need_apt+=(postgresql-15-pgaudit)   # audit logging, as on Azure
[ -f /usr/lib/postgresql/15/lib/plugins/pgextwlist.so ] || need_apt+=(postgresql-15-pgextwlist)   # the azure.extensions allow-list
command -v git >/dev/null || need_apt+=(git)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)   # ansible-test sanity's shellcheck test
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing system packages: ${need_apt[*]}; install them (sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv with requirements-dev.txt"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# ansible-test --venv fetches a pip bootstrap script from a host outside the package registries;
# give it the cached copy it looks for (see scripts/get_pip_offline.py).
pip_versions=$(grep -ho "pip='[0-9.]*'" .venv/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | tr -dc '0-9.\n' | sort -u)
for version in $pip_versions; do
  cache=~/.ansible/test/cache/get_pip_${version//./_}.py
  mkdir -p "$(dirname "$cache")"; cmp -s scripts/get_pip_offline.py "$cache" || cp scripts/get_pip_offline.py "$cache"
done

# Playbooks run from this checkout find the collection here (see ansible.cfg).
mkdir -p .collections/ansible_collections/complianceflow
ln -sfn "$repo" .collections/ansible_collections/complianceflow/infra
# awx.awx for playbooks/awx/ (taken from the `ansible` package on PyPI: Galaxy is not reachable from CI).
bash scripts/awx-collection.sh
echo "setup: ready (.venv, PostgreSQL 15 at /usr/lib/postgresql/15/bin with pgaudit and pgextwlist)"
