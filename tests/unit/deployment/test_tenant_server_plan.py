"""Tier 3: the plan of a tenant's dedicated server (names within Azure's limits, CMK facts, bad input refused)."""
from __future__ import annotations

import re

import pytest

from ansible_collections.complianceflow.infra.plugins.filter.tenant_server import tenant_server_plan_filter
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import check_name
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tenant_server import (
    TenantServerError, plan_summary_lines, tenant_server_plan)

REGISTRY = load_registry()
REGIONAL = [n for n in REGISTRY.names() if not n.startswith("global-")]
LONG_SLUG = "a" + "b-" * 19 + "z"     # 40 characters, hyphens everywhere a cut could land
VAULT = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]$")
IDENTITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")


@pytest.mark.parametrize("name", REGIONAL)
@pytest.mark.parametrize("slug", ["acme", LONG_SLUG, "z" * 40])
def test_names_fit_azure_rules_for_every_deployment(name, slug):
    plan = tenant_server_plan(build_plan(name, registry=REGISTRY), slug)
    assert check_name("postgresql_server", plan["server_name"]) is None, plan["server_name"]
    assert VAULT.match(plan["key_vault_name"]), plan["key_vault_name"]
    assert IDENTITY.match(plan["identity_name"]), plan["identity_name"]
    assert plan["tags"]["tier"] == "3" and plan["tags"]["tenant"] == slug and plan["tags"]["Deployment"] == name
    assert len(plan["admin_password_secret"]) <= 127
    if plan["geo_backup"]:
        assert VAULT.match(plan["geo_backup"]["key_vault_name"]) and plan["geo_backup"]["key_vault_name"] != plan["key_vault_name"]
        assert plan["geo_backup"]["identity_name"] != plan["identity_name"]


def test_short_names_are_the_seeds_pattern_and_long_ones_are_shortened_deterministically():
    plan = tenant_server_plan(build_plan("westeu-prod-1", registry=REGISTRY), "acme")
    assert plan["server_name"] == "psql-cf-westeu-prod-1-tenant-acme"     # the seed's example
    assert plan["identity_name"] == "id-cf-westeu-prod-1-tenant-acme"
    dep = dict(build_plan("westeu-dev-1", registry=REGISTRY), name="australiaeast-prod-99")   # the longest name there is
    one = tenant_server_plan(dep, "x" * 39 + "a")["server_name"]
    two = tenant_server_plan(dep, "x" * 39 + "b")["server_name"]
    assert len(one) == 63 and one != two and one == tenant_server_plan(dep, "x" * 39 + "a")["server_name"]


def test_prod_has_a_geo_backup_key_in_the_paired_region_and_dev_has_none():
    prod = tenant_server_plan(build_plan("westeu-prod-1", registry=REGISTRY), "acme")
    assert prod["geo_backup"]["location"] == "northeurope" and prod["sizing"]["geo_redundant_backup"] is True
    dev = tenant_server_plan(build_plan("westeu-dev-1", registry=REGISTRY), "acme")
    assert dev["geo_backup"] is None
    assert dev["databases"] == build_plan("westeu-dev-1", registry=REGISTRY)["databases"]   # the eight tenant databases
    assert dev["delegated_subnet"] == "vnet-cf-westeu-dev-1/snet-cf-westeu-dev-1-db"
    assert (dev["key_size"], dev["key_type"], dev["role_id"]) == (3072, "RSA", "e147488a-f6f5-4113-8e2d-b22465e65bf6")
    assert any("postgresql-cmk" in line for line in plan_summary_lines(prod)) and prod["summary"] == plan_summary_lines(prod)
    assert any("northeurope" in line for line in prod["summary"]) and len(dev["summary"]) == 3


def test_sizing_override_and_its_bad_key():
    dev = build_plan("westeu-dev-1", registry=REGISTRY)
    assert tenant_server_plan(dev, "acme", sizing={"sku_name": "GP_Standard_D2s_v3"})["sizing"]["sku_name"] == "GP_Standard_D2s_v3"
    with pytest.raises(TenantServerError, match="unknown key.*sku"):
        tenant_server_plan(dev, "acme", sizing={"skuname": "x"})


@pytest.mark.parametrize("slug", ["Acme", "ac", "acme-", "1acme", "a" * 41, "ac_me", None])
def test_bad_slug_is_refused_with_the_rule(slug):
    with pytest.raises(Exception, match="3-40 characters a-z, 0-9 and -"):
        tenant_server_plan_filter(build_plan("westeu-dev-1", registry=REGISTRY), slug)


def test_a_global_deployment_is_refused():
    with pytest.raises(Exception, match="regional deployment"):
        tenant_server_plan_filter(build_plan("global-dev", registry=REGISTRY), "acme")
