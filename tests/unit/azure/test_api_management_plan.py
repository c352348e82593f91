"""Pure planner of module api_management: the cases the contract test cannot reach."""
from __future__ import annotations

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import api_management as apim
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "00000000-0000-0000-0000-000000000001"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apim"
OFF = {key: "False" for key in apim.LEGACY_TLS}
SERVICE = {"id": "x", "name": "apim-cf-westeu-prod-1", "location": "westeurope", "tags": {}, "sku": {"name": "Premium", "capacity": 1},
           "properties": {"publisherEmail": "api@example.org", "publisherName": "CF", "virtualNetworkType": "Internal",
                          "virtualNetworkConfiguration": {"subnetResourceId": SUBNET},
                          "customProperties": dict(OFF, **{"Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2": "True"})}}


def _params(**given):
    return dict({"resource_group": "rg", "name": "apim-cf-westeu-prod-1", "location": "westeurope", "tags": None,
                 "purge_tags": True}, **given)


def test_a_patch_sends_the_whole_custom_properties_map_and_the_whole_sku():
    """Azure resets the custom properties a PATCH omits (the spec): an unrelated change keeps HTTP/2 and the TLS settings."""
    plan = apim.plan_api_management(SERVICE, _params(publisher_name="CF Platform", sku_capacity=2), SUB)
    assert plan.action == "patch"
    assert plan.body["properties"]["customProperties"] == SERVICE["properties"]["customProperties"]
    assert plan.body["sku"] == {"name": "Premium", "capacity": 2}
    same = apim.plan_api_management(SERVICE, _params(subnet="vnet/apim", virtual_network_type="Internal", disable_legacy_tls=True), SUB)
    assert same.action == "none"


def test_refusals_before_any_call():
    with pytest.raises(AzureInputError, match="cannot change it to StandardV2"):
        apim.plan_api_management(SERVICE, _params(sku_name="StandardV2"), SUB)
    with pytest.raises(AzureInputError, match="cannot move it"):
        apim.plan_api_management(SERVICE, _params(location="northeurope"), SUB)
    with pytest.raises(AzureInputError, match="publisher_email, publisher_name needed"):
        apim.plan_api_management(None, _params(sku_name="Premium"), SUB)
    for params, why in (({"sku_name": "Standard", "virtual_network_type": "Internal", "subnet": "v/s"}, "cannot be injected"),
                        ({"virtual_network_type": "Internal"}, "subnet is required"),
                        ({"name": "apim-"}, "not a valid API Management service name"),
                        ({"name": "a" * 51}, "not a valid API Management service name"),
                        ({"sku_name": "Developer", "sku_capacity": 2}, "exactly 1")):
        with pytest.raises(AzureInputError, match=why):
            apim.validate_api_management(_params(**params))


def test_a_consumption_service_is_created_with_0_units_and_refuses_any_other():
    """Azure takes only capacity 0 in the Consumption tier (the spec's sku.capacity); 1, the other tiers' default, is refused."""
    new = _params(sku_name="Consumption", publisher_email="api@example.org", publisher_name="CF")
    apim.validate_api_management(new)
    assert apim.plan_api_management(None, new, SUB).body["sku"] == {"name": "Consumption", "capacity": 0}
    assert apim.plan_api_management(None, dict(new, sku_capacity=0), SUB).body["sku"]["capacity"] == 0
    assert apim.plan_api_management(None, dict(new, sku_name="Standard"), SUB).body["sku"]["capacity"] == 1
    for units in (1, 2):
        with pytest.raises(AzureInputError, match=f"sku_capacity: {units} units; the Consumption tier takes 0"):
            apim.validate_api_management(dict(new, sku_capacity=units))
    with pytest.raises(AzureInputError, match="sku_capacity: 0 is not a number of units"):
        apim.validate_api_management(_params(sku_name="Standard", sku_capacity=0))
    consumption = dict(SERVICE, sku={"name": "Consumption", "capacity": 0},
                       properties=dict(SERVICE["properties"], virtualNetworkType="None", virtualNetworkConfiguration=None))
    apim.validate_api_management(_params(sku_capacity=0))   # the existing service's tier decides, below
    assert apim.plan_api_management(consumption, _params(sku_capacity=0), SUB).action == "none"
    with pytest.raises(AzureInputError, match="is in the Consumption tier, which takes 0"):
        apim.plan_api_management(consumption, _params(sku_capacity=2), SUB)
    with pytest.raises(AzureInputError, match="is in the Premium tier, which takes 1 or more"):
        apim.plan_api_management(SERVICE, _params(sku_capacity=0), SUB)


def test_a_16th_tag_is_refused_before_any_call_also_when_the_existing_ones_are_kept():
    """Azure refuses an API Management service's 16th tag (400 InvalidParameters, hashicorp/terraform#31416)."""
    class Module:
        subscription_id = SUB

        def __init__(self, tags):
            self.params = _params(tags=tags, state="present")
    with pytest.raises(AzureInputError, match="API Management service would have 16 tags; Azure allows at most 15"):
        apim.ApiManagement(Module({f"t{i}": "v" for i in range(16)})).validate()
    existing = dict(SERVICE, tags={f"old{i}": "v" for i in range(10)})
    assert apim.plan_api_management(existing, _params(tags={f"t{i}": "v" for i in range(5)}, purge_tags=False), SUB).action != "none"
    with pytest.raises(AzureInputError, match="would have 16 tags"):
        apim.plan_api_management(existing, _params(tags={f"t{i}": "v" for i in range(6)}, purge_tags=False), SUB)
