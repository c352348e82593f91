#!/usr/bin/env bash
# Build the execution environment of execution-environment.yml (docs/awx.md):
#   bash scripts/build-ee.sh [TAG]                  # podman, or docker when podman is missing
#   CONTAINER_RUNTIME=docker bash scripts/build-ee.sh registry.example.com/complianceflow/infra-ee:1.0.0
#   bash scripts/build-ee.sh --create-only           # the build context only (.tmp/ee/context), no container engine
# The collection artifact of this checkout (ansible-galaxy collection build) goes into .tmp/ee/, where the
# EE definition's galaxy requirement takes it from; the context is written to .tmp/ee/context.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
[ -x .venv/bin/ansible-builder ] && export PATH="$repo/.venv/bin:$PATH"

mode=build
if [ "${1:-}" = "--create-only" ]; then mode=create; shift; fi
tag=${1:-complianceflow-infra-ee:$(sed -n 's/^version: *//p' galaxy.yml)}

out=.tmp/ee
mkdir -p "$out/artifact"
rm -f "$out"/artifact/*.tar.gz
ansible-galaxy collection build --force --output-path "$out/artifact" . >/dev/null
artifact=$(ls "$out"/artifact/complianceflow-infra-*.tar.gz)
cp "$artifact" "$out/complianceflow-infra.tar.gz"
echo "build-ee: collection $(basename "$artifact")"

if [ "$mode" = create ]; then
  ansible-builder create --file execution-environment.yml --context "$out/context"
  exit 0
fi
runtime=${CONTAINER_RUNTIME:-}
if [ -z "$runtime" ]; then
  if command -v podman >/dev/null; then runtime=podman
  elif command -v docker >/dev/null; then runtime=docker
  else echo "build-ee: neither podman nor docker found (or --create-only for the context alone)" >&2; exit 1
  fi
fi
ansible-builder build --file execution-environment.yml --context "$out/context" --container-runtime "$runtime" --tag "$tag"
echo "build-ee: built $tag with $runtime; push it where AWX pulls from: $runtime push $tag"
