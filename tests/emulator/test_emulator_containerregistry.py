"""Microsoft.ContainerRegistry in the emulator, through ARM's generic resource operations (azure-mgmt-resource)."""
from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError

API = "2025-11-01"


def _registry(emu, group, name):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/{name}"


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def test_registry_defaults_login_server_and_global_names(emu, resources, group):
    name = f"acremu{uuid.uuid4().hex[:8]}"
    created = _put(resources, _registry(emu, group, name), {"location": "westeurope", "sku": {"name": "Basic"}})
    assert created.sku.name == "Basic" and created.sku.tier == "Basic"
    assert created.properties["loginServer"] == f"{name}.azurecr.io"
    assert (created.properties["adminUserEnabled"], created.properties["anonymousPullEnabled"],
            created.properties["publicNetworkAccess"]) == (False, False, "Enabled")   # the spec's defaults
    other = f"rg-{uuid.uuid4().hex[:8]}"
    resources.resource_groups.create_or_update(other, {"location": "westeurope"})
    try:
        with pytest.raises(HttpResponseError, match="AlreadyInUse"):   # registry names are unique across Azure
            _put(resources, _registry(emu, other, name.upper()), {"location": "westeurope", "sku": {"name": "Basic"}})
    finally:
        resources.resource_groups.begin_delete(other).result()
    # Premium needed to close the public endpoint; the update is one PATCH of the tier and the property
    with pytest.raises(HttpResponseError, match="DisablingPublicNetworkAccessNotSupported"):
        resources.resources.begin_update_by_id(_registry(emu, group, name), api_version=API,
                                               parameters={"properties": {"publicNetworkAccess": "Disabled"}}).result()
    updated = resources.resources.begin_update_by_id(
        _registry(emu, group, name), api_version=API,
        parameters={"sku": {"name": "Premium"}, "properties": {"publicNetworkAccess": "Disabled"}}).result()
    assert updated.sku.name == "Premium" and updated.properties["publicNetworkAccess"] == "Disabled"


def test_bad_registries_are_refused(emu, resources, group):
    rid = _registry(emu, group, f"acremu{uuid.uuid4().hex[:8]}")
    for body, why in (({"location": "westeurope"}, "sku"),   # required by the spec
                      ({"location": "westeurope", "sku": {"name": "Gold"}}, "Gold"),
                      ({"location": "westeurope", "sku": {"name": "Classic"}}, "ClassicSkuDeprecated.*Classic SKU is now deprecated"),
                      ({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicNetworkAccess": "Disabled"}},
                       "DisablingPublicNetworkAccessNotSupported"),
                      ({"location": "westeurope", "sku": {"name": "Basic"}, "properties": {"networkRuleSet": {"defaultAction": "Deny"}}},
                       "need Premium"),
                      ({"location": "westeurope", "sku": {"name": "Basic"}, "properties": {"anonymousPullEnabled": True}},
                       "Standard and Premium"),
                      ({"location": "westeurope", "sku": {"name": "Basic"}, "properties": {"loginServer": "x.azurecr.io"}}, "loginServer")):
        with pytest.raises(HttpResponseError, match=why):
            _put(resources, rid, body)
    with pytest.raises(HttpResponseError, match="InvalidResourceName"):
        _put(resources, _registry(emu, group, "acr-with-hyphen"), {"location": "westeurope", "sku": {"name": "Basic"}})
