#!/usr/bin/env bash
# Install the awx.awx collection into .collections (next to this checkout's link), so that playbooks/awx/ resolves
# awx.awx.* and tests/unit/awx reads its modules' argument specs. Called by scripts/setup.sh; idempotent.
#
# Galaxy is not reachable from the CI machines, PyPI is: awx.awx ships inside the `ansible` community package
# (the 12.x line pairs with ansible-core 2.19). The wheel is pinned by version and sha256 (pip checks it,
# --require-hashes), and only ansible_collections/awx/awx is taken out of it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

ANSIBLE_VERSION=12.3.0   # the community package that carries the collection
ANSIBLE_SHA256=cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414
AWX_VERSION=24.6.1       # awx.awx as shipped in ansible ${ANSIBLE_VERSION}

PYTHON=${PYTHON:-$repo/.venv/bin/python}
dest=.collections/ansible_collections/awx/awx
stamp=$dest/.from-ansible-wheel
want="ansible==$ANSIBLE_VERSION sha256:$ANSIBLE_SHA256 awx.awx==$AWX_VERSION"
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/awx-collection.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "ansible==$ANSIBLE_VERSION --hash=sha256:$ANSIBLE_SHA256" > "$work/requirements.txt"
echo "awx-collection: downloading ansible $ANSIBLE_VERSION (for awx.awx $AWX_VERSION)"
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: --require-hashes -r "$work/requirements.txt" -d "$work"

rm -rf "$dest"
"$PYTHON" - "$work/ansible-$ANSIBLE_VERSION-py3-none-any.whl" "$dest" "$AWX_VERSION" <<'EOF'
import json, os, sys, zipfile

wheel, dest, version = sys.argv[1:]
prefix = "ansible_collections/awx/awx/"
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if m.startswith(prefix) and not m.endswith("/")]
    if not members:
        sys.exit(f"awx-collection: {wheel} has no {prefix}")
    for member in members:
        target = os.path.join(dest, member[len(prefix):])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(member) as src, open(target, "wb") as out:
            out.write(src.read())
found = json.load(open(os.path.join(dest, "MANIFEST.json")))["collection_info"]["version"]
if found != version:
    sys.exit(f"awx-collection: the wheel carries awx.awx {found}, expected {version}: update AWX_VERSION")
EOF
echo "$want" > "$stamp"
echo "awx-collection: awx.awx $AWX_VERSION in $dest"
