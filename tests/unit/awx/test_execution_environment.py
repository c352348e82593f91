"""execution-environment.yml: `ansible-builder create` (no container engine) through scripts/build-ee.sh --create-only, the
command docs/awx.md gives, and the build context it writes holds what the image needs: this checkout's collection
artifact, named by the galaxy requirements the galaxy stage installs; every requirement of requirements.txt and every
entry of bindep.txt, read by the builder stage's introspection; ansible-core in the range the collection supports.
"""
from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
CONTEXT = REPO / ".tmp" / "ee" / "context"


def entries(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_ansible_builder_create_writes_a_context_with_the_collection_and_its_requirements():
    out = subprocess.run(["bash", "scripts/build-ee.sh", "--create-only"], capture_output=True, text=True, check=False,
                         cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    build = CONTEXT / "_build"

    # The collection: the galaxy requirement names the artifact that sits beside it in the context.
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy == {"collections": [{"name": "collections/complianceflow-infra.tar.gz", "type": "file"}]}
    with tarfile.open(build / "collections" / "complianceflow-infra.tar.gz") as artifact:
        manifest = json.load(artifact.extractfile("MANIFEST.json"))["collection_info"]
        packed = set(artifact.getnames())
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("complianceflow", "infra", version)
    assert {"requirements.txt", "bindep.txt", "plugins/modules/deployment_info.py"} <= packed

    # Python requirements and system packages: every line of the collection's files.
    assert entries(build / "requirements.txt") == entries(REPO / "requirements.txt")
    assert entries(build / "bindep.txt") == entries(REPO / "bindep.txt")

    containerfile = next(p for p in (CONTEXT / "Containerfile", CONTEXT / "Dockerfile") if p.exists()).read_text()
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "install-from-bindep" in containerfile
    dev_core = next(e for e in entries(REPO / "requirements-dev.txt") if e.startswith("ansible-core"))
    assert f'ARG ANSIBLE_INSTALL_REFS="{dev_core} ' in containerfile
