"""Microsoft.ApiManagement in the emulator, through ARM's generic resource operations (azure-mgmt-resource)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

API = "2024-05-01"


@pytest.fixture
def apim(emu, network, group):
    """A VNet whose subnet snet-apim has an NSG, and a delegated subnet; ids and a service body."""
    nsg = network.network_security_groups.begin_create_or_update(group, "nsg-apim", {"location": "westeurope"}).result()
    network.virtual_networks.begin_create_or_update(group, "vnet-apim", {"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]},
        "subnets": [{"name": "snet-apim", "properties": {"addressPrefix": "10.9.5.0/24", "networkSecurityGroup": {"id": nsg.id}}},
                    {"name": "snet-bare", "properties": {"addressPrefix": "10.9.6.0/24"}}]}}).result()
    base = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers"
    subnet = f"{base}/Microsoft.Network/virtualNetworks/vnet-apim/subnets/"
    name = f"apim-emu-{group[3:]}"[:50].rstrip("-")
    return {"id": f"{base}/Microsoft.ApiManagement/service/{name}", "name": name, "subnet": subnet + "snet-apim",
            "bare": subnet + "snet-bare",
            "deleted": f"/subscriptions/{emu.subscription_id}/providers/Microsoft.ApiManagement/locations/westeurope/deletedservices/{name}"}


def _body(subnet, sku="Premium", **props):
    return {"location": "westeurope", "sku": {"name": sku, "capacity": 1},
            "properties": dict({"publisherEmail": "api@example.org", "publisherName": "CF", "virtualNetworkType": "Internal",
                                "virtualNetworkConfiguration": {"subnetResourceId": subnet}}, **props)}


def test_internal_service_in_a_subnet_with_an_nsg_and_its_soft_delete(resources, apim):
    svc = resources.resources.begin_create_or_update_by_id(apim["id"], api_version=API, parameters=_body(apim["subnet"])).result()
    props = svc.properties
    assert props["virtualNetworkType"] == "Internal" and props["privateIPAddresses"] == ["10.9.5.4"]
    assert props["customProperties"]["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"] == "False"
    resources.resources.begin_delete_by_id(apim["id"], api_version=API).result()
    deleted = resources.resources.get_by_id(apim["deleted"], api_version=API)
    assert deleted.properties["serviceId"] == apim["id"]
    with pytest.raises(HttpResponseError, match="ServiceAlreadyExistsInSoftDeletedState"):
        resources.resources.begin_create_or_update_by_id(apim["id"], api_version=API, parameters=_body(apim["subnet"])).result()
    restored = resources.resources.begin_create_or_update_by_id(
        apim["id"], api_version=API, parameters=_body(apim["subnet"], restore=True)).result()
    assert restored.properties["privateIPAddresses"] == ["10.9.5.4"]
    resources.resources.begin_delete_by_id(apim["id"], api_version=API).result()
    resources.resources.begin_delete_by_id(apim["deleted"], api_version=API).result()   # purge: the name is free again
    assert not resources.resources.check_existence_by_id(apim["deleted"], api_version=API)


def test_what_azure_refuses(resources, apim):
    cases = [
        (_body(apim["subnet"], sku="Standard"), "cannot be deployed in a virtual network"),
        (_body(apim["bare"]), "no network security group"),
        (_body(apim["subnet"].replace("snet-apim", "snet-none")), "was not found"),
        (_body(apim["subnet"], publisherEmail="x" * 101 + "@example.org"), "maxLength|too long|100"),
        ({"location": "westeurope", "sku": {"name": "Premium", "capacity": 1}, "properties": {"publisherName": "CF"}}, "publisherEmail"),
        # a required property sent as null is missing; the SKU and network type enums hold though the spec's are modelAsString
        (_body(apim["subnet"], publisherEmail=None), "required property 'properties.publisherEmail' is missing"),
        (_body(apim["subnet"], sku="Foo"), "The SKU 'Foo' is not valid"),
        (_body(apim["subnet"], virtualNetworkType="Bogus"), "virtualNetworkType 'Bogus' is not valid"),
        # a 16th tag: Azure's answer as hashicorp/terraform#31416 quotes it
        (dict(_body(apim["subnet"]), tags={f"t{i}": "v" for i in range(16)}), "Tags count out of bound. Maximum count value is 15"),
    ]
    for body, why in cases:
        with pytest.raises(HttpResponseError, match=why):
            resources.resources.begin_create_or_update_by_id(apim["id"], api_version=API, parameters=body).result()
    with pytest.raises(HttpResponseError, match="InvalidResourceName"):
        resources.resources.begin_create_or_update_by_id(apim["id"].rsplit("/", 1)[0] + "/1apim", api_version=API,
                                                         parameters=_body(apim["subnet"])).result()
    resources.resources.begin_create_or_update_by_id(apim["id"], api_version=API,
                                                     parameters=dict(_body(apim["subnet"]), tags={f"t{i}": "v" for i in range(15)})).result()
    with pytest.raises(HttpResponseError, match="InvalidParameters"):   # the tags PATCH too
        resources.resources.begin_update_by_id(apim["id"], api_version=API, parameters={"tags": {f"t{i}": "v" for i in range(16)}}).result()
    with pytest.raises(HttpResponseError, match="cannot be changed to StandardV2"):
        resources.resources.begin_update_by_id(apim["id"], api_version=API,
                                               parameters={"sku": {"name": "StandardV2", "capacity": 1}}).result()
