"""Shared fixtures of the deployment model tests: a writable copy of the CIDR registry."""
from __future__ import annotations

import shutil

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment import cidr as _cidr


@pytest.fixture
def registry_copy(tmp_path):
    """Path of a copy of data/cidr-registry.yml: tests that write never touch the real one."""
    path = tmp_path / "cidr-registry.yml"
    shutil.copyfile(_cidr.DEFAULT_REGISTRY, path)
    return path
