"""Microsoft.OperationalInsights in the emulator, through ARM's generic resource operations (azure-mgmt-resource)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

API = "2025-07-01"


def _workspace(emu, group, name="log-emu-1"):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{name}"


def test_workspace_and_table_retention_follow_the_spec(emu, resources, group):
    ws = _workspace(emu, group)
    created = resources.resources.begin_create_or_update_by_id(
        ws, api_version=API, parameters={"location": "westeurope", "properties": {"retentionInDays": 30}}).result()
    assert created.properties["sku"] == {"name": "PerGB2018"} and created.properties["customerId"]
    table = resources.resources.get_by_id(ws + "/tables/AzureActivity", api_version=API)   # built-in tables exist in every workspace
    assert table.properties["retentionInDays"] == 30 and table.properties["totalRetentionInDays"] == 30
    updated = resources.resources.begin_update_by_id(
        ws + "/tables/AzureActivity", api_version=API, parameters={"properties": {"totalRetentionInDays": 2556}}).result()
    assert (updated.properties["totalRetentionInDays"], updated.properties["archiveRetentionInDays"]) == (2556, 2526)
    for bad, why in ((2557, "whole years"), (800, "whole years"), (3, "out of range 4 to 4383")):   # 3: the spec's minimum
        with pytest.raises(HttpResponseError, match=why):
            resources.resources.begin_update_by_id(
                ws + "/tables/AzureActivity", api_version=API, parameters={"properties": {"totalRetentionInDays": bad}}).result()


def test_bad_workspace_settings_are_refused(emu, resources, group):
    with pytest.raises(HttpResponseError, match="30 to 730"):
        resources.resources.begin_create_or_update_by_id(
            _workspace(emu, group), api_version=API, parameters={"location": "westeurope", "properties": {"retentionInDays": 7}}).result()
    with pytest.raises(HttpResponseError, match="is not one of"):
        resources.resources.begin_create_or_update_by_id(
            _workspace(emu, group), api_version=API, parameters={"location": "westeurope", "properties": {"sku": {"name": "Gold"}}}).result()
    with pytest.raises(HttpResponseError, match="InvalidResourceName"):
        resources.resources.begin_create_or_update_by_id(_workspace(emu, group, "ab"), api_version=API, parameters={"location": "westeurope"}).result()


@pytest.mark.parametrize("sku", ["Free", "Standard", "Premium"])
def test_a_retired_pricing_tier_of_the_spec_s_enum_is_refused_as_azure_refuses_it(emu, resources, group, sku):
    with pytest.raises(HttpResponseError, match="Pricing tier doesn't match the subscription's billing model") as caught:
        resources.resources.begin_create_or_update_by_id(
            _workspace(emu, group), api_version=API, parameters={"location": "westeurope", "properties": {"sku": {"name": sku}}}).result()
    assert caught.value.status_code == 400 and caught.value.error.code == "BadRequest"
