"""The CIDR registry, overlap checks, subnet plan and the allocation command (on a copy of the registry)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from netaddr import IPNetwork

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import (
    Registry,
    load_registry,
    subnet_plan,
    write_registry,
)
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import (
    ENVIRONMENTS,
    REGIONS,
    DeploymentError,
)

REPO = Path(__file__).resolve().parents[3]
SEED_TABLE = {
    "global-dev": ("10.0.0.0/16", "Active (MVP)"), "global-stg": ("10.1.0.0/16", "Reserved"),
    "global-prod": ("10.2.0.0/16", "Reserved"), "westeu-dev-1": ("10.10.0.0/16", "Active (MVP)"),
    "westeu-stg-1": ("10.20.0.0/16", "Reserved"), "westeu-prod-1": ("10.30.0.0/16", "Reserved"),
    "westeu-prod-2": ("10.31.0.0/16", "Reserved"), "eastus-dev-1": ("10.11.0.0/16", "Reserved"),
    "eastus-stg-1": ("10.21.0.0/16", "Reserved"), "eastus-prod-1": ("10.40.0.0/16", "Reserved"),
    "northeu-prod-1": ("10.50.0.0/16", "Reserved"),
}


def allocate_cli(registry_path, *args):
    return subprocess.run([sys.executable, str(REPO / "tools" / "cidr_allocate.py"), "--registry", str(registry_path), *args],
                          capture_output=True, text=True, check=False)


def test_registry_is_exactly_the_seed_table():
    registry = load_registry()
    assert {r["name"]: (r["cidr"], r["status"]) for r in registry.rows} == SEED_TABLE
    assert (str(registry.pool_first), str(registry.pool_last)) == ("10.60.0.0/16", "10.99.0.0/16")
    assert len(registry.free_pool()) == 40


def test_registry_file_is_sorted_by_cidr_and_renders_unchanged():
    registry = load_registry()
    cidrs = [IPNetwork(r["cidr"]).first for r in registry.rows]
    assert cidrs == sorted(cidrs)
    assert Path(registry.path).read_text(encoding="utf-8") == registry.render()


def test_lookup_and_missing_deployment():
    registry = load_registry()
    assert registry.lookup("westeu-prod-1") == "10.30.0.0/16"
    with pytest.raises(DeploymentError, match=r"'westeu-prod-3' has no CIDR.*cidr_allocate.py westeu-prod-3"):
        registry.lookup("westeu-prod-3")


def test_overlap_check():
    registry = load_registry()
    assert registry.overlapping("10.30.0.0/16", exclude="westeu-prod-1") == []
    assert registry.overlapping("10.30.0.0/16", exclude="westeu-dev-1") == [("westeu-prod-1", "10.30.0.0/16")]
    assert registry.overlapping("10.30.0.0/15") == [("westeu-prod-1", "10.30.0.0/16"), ("westeu-prod-2", "10.31.0.0/16")]
    assert registry.overlapping("10.60.0.0/16") == []


@pytest.mark.parametrize("rows, message", [
    ([{"name": "westeu-dev-1", "cidr": "10.10.0.0/16", "status": "Reserved"},
      {"name": "westeu-dev-2", "cidr": "10.10.0.0/16", "status": "Reserved"}], "overlaps westeu-dev-1"),
    ([{"name": "westeu-dev-1", "cidr": "10.10.0.0/16", "status": "Reserved"},
      {"name": "westeu-dev-1", "cidr": "10.12.0.0/16", "status": "Reserved"}], "appears twice"),
    ([{"name": "westeu-test-1", "cidr": "10.10.0.0/16", "status": "Reserved"}], "did you mean 'westeu-dev-1'"),
    ([{"name": "westeu-dev-1", "cidr": "10.10.0.0/24", "status": "Reserved"}], "not a /16"),
    ([{"name": "westeu-dev-1", "cidr": "10.10.1.0/16", "status": "Reserved"}], "host bits"),
    ([{"name": "westeu-dev-1", "cidr": "192.168.0.0/16", "status": "Reserved"}], "outside 10.0.0.0/8"),
    ([{"name": "westeu-dev-1", "cidr": "10.10.0.0/16", "status": "Live"}], "invalid status"),
])
def test_invalid_registries_are_refused(rows, message):
    with pytest.raises(DeploymentError, match=message):
        Registry(rows, "10.60.0.0/16", "10.99.0.0/16")


def test_unreadable_registry_is_a_clear_error(tmp_path):
    with pytest.raises(DeploymentError, match="cannot read the CIDR registry"):
        load_registry(str(tmp_path / "missing.yml"))
    bad = tmp_path / "bad.yml"
    bad.write_text("deployments: [", encoding="utf-8")
    with pytest.raises(DeploymentError, match="not valid YAML"):
        load_registry(str(bad))


def test_subnet_plan_of_westeu_prod_1_and_dev():
    assert subnet_plan("10.30.0.0/16", "prod") == {
        "container_apps": "10.30.1.0/24", "database": "10.30.2.0/24", "redis": "10.30.3.0/24",
        "storage": "10.30.4.0/24", "api_management": "10.30.5.0/24", "management": "10.30.10.0/24"}
    assert "api_management" not in subnet_plan("10.10.0.0/16", "dev")
    with pytest.raises(DeploymentError, match="expected a /16"):
        subnet_plan("10.10.0.0/17", "dev")


@pytest.mark.parametrize("name, expected", [
    ("westeu-prod-3", "10.32.0.0/16"),    # after westeu-prod-2 (10.31), inside 10.30-10.39
    ("eastus-prod-2", "10.41.0.0/16"),
    ("northeu-prod-2", "10.51.0.0/16"),
    ("eastus-stg-2", "10.22.0.0/16"),
    ("westeu-stg-2", "10.60.0.0/16"),     # 10.21 is eastus-stg-1 and 10.19 leaves the group: pool
    ("westeu-dev-2", "10.60.0.0/16"),     # 10.11 is eastus-dev-1, 10.9 is the global group: pool
    ("westus-prod-1", "10.60.0.0/16"),    # new region: pool
    ("northeu-dev-1", "10.60.0.0/16"),    # no northeu dev block to sit next to
])
def test_allocation_rule(name, expected):
    registry = load_registry()
    assert registry.allocate(name) == expected
    assert registry.lookup(name) == expected


def test_allocation_refuses_an_existing_deployment_and_bad_names():
    registry = load_registry()
    with pytest.raises(DeploymentError, match="already has 10.30.0.0/16"):
        registry.allocate("westeu-prod-1")
    with pytest.raises(DeploymentError, match="did you mean 'westeu-dev-2'"):
        registry.allocate("westeu-test-2")


def test_allocation_refuses_when_nothing_is_free():
    registry = load_registry()
    for i in range(40):
        registry.allocate(f"westus-dev-{i + 1}")
    assert registry.free_pool() == []
    with pytest.raises(DeploymentError, match="no free /16 left"):
        registry.allocate("uksouth-dev-1")


def test_adjacency_also_applies_inside_the_pool():
    registry = load_registry()
    assert registry.allocate("westus-prod-1") == "10.60.0.0/16"
    assert registry.allocate("westus-prod-2") == "10.61.0.0/16"
    assert registry.allocate("uksouth-prod-1") == "10.62.0.0/16"
    assert registry.allocate("westus-prod-3") == "10.63.0.0/16"   # 10.62 is taken: back to the pool


@given(st.lists(st.tuples(st.sampled_from(sorted(REGIONS)), st.sampled_from(ENVIRONMENTS), st.integers(1, 99)),
                max_size=45, unique=True))
@settings(max_examples=60, deadline=None)
def test_any_allocation_sequence_keeps_the_registry_non_overlapping(requests):
    registry = load_registry()
    for region, env, instance in requests:
        name = f"{region}-{env}-{instance}"
        try:
            cidr = registry.allocate(name)
        except DeploymentError as exc:
            assert "already has" in str(exc) or "no free /16 left" in str(exc)
            continue
        assert registry.overlapping(cidr, exclude=name) == []
    # the constructor re-validates: no overlap, no duplicate, canonical /16s
    again = Registry(registry.rows, str(registry.pool_first), str(registry.pool_last))
    assert again.rows == registry.rows


def test_write_keeps_the_file_sorted_and_loadable(registry_copy):
    registry = load_registry(str(registry_copy))
    registry.allocate("eastus-prod-2")
    write_registry(registry)
    text = registry_copy.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    names = [row["name"] for row in data["deployments"]]
    assert names.index("eastus-prod-2") == names.index("eastus-prod-1") + 1
    assert text.startswith("---\n# CIDR registry")
    assert load_registry(str(registry_copy)).lookup("eastus-prod-2") == "10.41.0.0/16"


def test_command_writes_the_registry_copy_and_refuses_twice(registry_copy):
    before = registry_copy.read_text(encoding="utf-8")
    dry = allocate_cli(registry_copy, "westeu-prod-3", "--dry-run")
    assert dry.returncode == 0 and "10.32.0.0/16" in dry.stdout
    assert registry_copy.read_text(encoding="utf-8") == before
    first = allocate_cli(registry_copy, "westeu-prod-3")
    assert first.returncode == 0, first.stderr
    assert load_registry(str(registry_copy)).lookup("westeu-prod-3") == "10.32.0.0/16"
    second = allocate_cli(registry_copy, "westeu-prod-3")
    assert second.returncode == 1
    assert "already has 10.32.0.0/16" in second.stderr and "Traceback" not in second.stderr


def test_command_rejects_a_bad_name_without_traceback(registry_copy):
    result = allocate_cli(registry_copy, "WestEU-prod-3")
    assert result.returncode == 1
    assert "'WestEU-prod-3'" in result.stderr and "did you mean 'westeu-prod-3'" in result.stderr
    assert "Traceback" not in result.stderr
