"""Names Azure refuses as reserved (ReservedResourceName) for resources reached at their own DNS name: refused by the
modules and the plans before any call, with the same rule the emulator applies (tools/arm_emulator/providers/base.py)."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import (
    api_management, container_registry, event_hubs, key_vault, managed_redis, postgresql, storage_account)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, reserved_name_problem)
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import check_name
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.tenant_server import (
    TenantServerError, tenant_server_plan)


@pytest.mark.parametrize("name, why", [
    ("azure", "AZURE is a word Azure reserves"),
    ("Xbox", "XBOX is a word Azure reserves"),
    ("kv-microsoft-01", "contains MICROSOFT"),
    ("stwindowsaudit", "contains WINDOWS"),
    ("loginvault", "starts with LOGIN"),
])
def test_reserved_names_say_which_rule(name, why):
    assert why in reserved_name_problem(name)


@pytest.mark.parametrize("name", ["kv-cf-global-dev-jubx", "my-azure-vault", "vault-login", "stcfwesteudev1", "officeline"])
def test_other_names_pass(name):
    # a reserved word as a part of a longer name is refused only for microsoft and windows (and login at the start)
    assert reserved_name_problem(name) is None


@pytest.mark.parametrize("check", [
    key_vault.validate_vault_name,
    lambda name: storage_account.validate_storage({"name": name, "resource_group": "rg"}),
    lambda name: container_registry.validate_registry({"name": name, "resource_group": "rg"}),
    lambda name: managed_redis.validate_managed_redis({"name": name, "resource_group": "rg"}),
    lambda name: api_management.validate_api_management({"name": name, "resource_group": "rg"}),
    event_hubs.validate_namespace_name,
], ids=["key_vault", "storage_account", "container_registry", "managed_redis", "api_management", "event_hubs"])
def test_modules_refuse_a_reserved_name_before_any_call(check):
    with pytest.raises(AzureInputError, match="ReservedResourceName"):
        check("windowsaudit99")


def test_postgresql_server_refuses_a_reserved_name():
    with pytest.raises(AzureInputError, match="contains MICROSOFT"):
        postgresql.validate_server({"name": "psql-microsoft-1"})


def test_deployment_names_are_never_reserved_and_the_check_applies_to_dns_names_only():
    registry = load_registry()
    for name in registry.names():
        names = build_plan(name, registry=registry)["names"]
        assert all(reserved_name_problem(names[key]) is None for key in ("key_vault", "storage_account", "postgresql_server"))
    assert "reserved" in check_name("key_vault", "kv-windows-abc1")
    assert check_name("managed_identity", "id-windows") is None   # no DNS name of its own


def test_a_tenant_slug_that_makes_a_reserved_name_fails_in_the_plan():
    plan = build_plan("westeu-prod-1", registry=load_registry())
    with pytest.raises(TenantServerError, match=r"tenant slug 'windows-and-doors' makes the server name .*ReservedResourceName"):
        tenant_server_plan(plan, "windows-and-doors")
    # the vault keeps the slug's first 14 characters: here only the server's name holds the word
    with pytest.raises(TenantServerError, match=r"makes the server name 'psql-cf-westeu-prod-1-tenant-acmecorporation-windows'"):
        tenant_server_plan(plan, "acmecorporation-windows")
    assert tenant_server_plan(plan, "login-co")["server_name"].startswith("psql-")   # login only at the start is reserved
