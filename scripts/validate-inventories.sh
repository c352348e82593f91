#!/usr/bin/env bash
# Validate all inventories together, then run the offline plan over all of them.
#   bash scripts/validate-inventories.sh                       # every inventories/* directory
#   bash scripts/validate-inventories.sh inventories/westeu-dev-1 ...   # only these
# Exit 0 only when the validation passes and the plan succeeds for every deployment, with one
# JSON per deployment in output/plan/ (override with PLAN_OUTPUT_DIR).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
venv="$repo/.venv/bin"
[ -x "$venv/ansible-playbook" ] || { echo "validate-inventories: run scripts/setup.sh first" >&2; exit 1; }
export ANSIBLE_COLLECTIONS_PATH="$repo/.collections"
export ANSIBLE_CONFIG="$repo/ansible.cfg"
export PYTHONPATH="$repo/.collections${PYTHONPATH:+:$PYTHONPATH}"

if [ $# -gt 0 ]; then inventories=("$@"); else
  mapfile -t inventories < <(find inventories -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort); fi
[ ${#inventories[@]} -gt 0 ] || { echo "validate-inventories: no inventory found" >&2; exit 1; }

"$venv/python" tools/validate_inventories.py "$@"

out="${PLAN_OUTPUT_DIR:-$repo/output/plan}"
rm -rf "$out"
args=()
for inv in "${inventories[@]}"; do args+=(-i "$inv"); done
"$venv/ansible-playbook" playbooks/plan.yml "${args[@]}" -e "plan_output_dir=$out"

# The plan must have written one JSON per deployment, with the registry's CIDR.
missing=0
for inv in "${inventories[@]}"; do
  name=$(basename "$inv")
  if [ ! -s "$out/$name.json" ]; then echo "validate-inventories: no plan written for $name" >&2; missing=1; fi
done
[ "$missing" = 0 ] || exit 1
echo "validate-inventories: plan written for ${#inventories[@]} deployments to $out"
