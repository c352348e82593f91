# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Bastion hosts for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Network stable 2026-03-01, virtualNetwork.json (Azure/azure-rest-api-specs commit
  d7a2364fe3101023c5bb381847ef26fc8ec8a2dd; the bastionHosts paths at offsets 70,000-88,000 and the BastionHost*
  definitions at 536,000-552,000 of the file): BastionHosts_CreateOrUpdate (PUT, body BastionHost, long-running with
  Azure-AsyncOperation), BastionHosts_Update (PATCH of tags or identity only, long-running), BastionHosts_Delete
  (long-running); BastionHost {sku, zones, properties}; BastionHostPropertiesFormat ipConfigurations[]
  (BastionHostIPConfiguration: name, properties.subnet (required), properties.publicIPAddress), scaleUnits 2-50, the
  feature flags (disableCopyPaste, enableTunneling, enableIpConnect, enableShareableLink, ... default false). SKU names
  (azure-mgmt-network 33.1's BastionHostSkuName, generated from that spec): Basic, Standard, Developer, Premium.
- learn.microsoft.com/azure/bastion/configuration-settings: every SKU but Developer needs a subnet named exactly
  AzureBastionSubnet, /26 or larger, in the same virtual network and resource group as the host, holding nothing else;
  the public IP must be Standard and Static; host scaling (instance count) is Standard only, Basic runs two instances;
  a SKU can be upgraded but never downgraded (delete and recreate). Premium is the SKU for session recording and
  private-only Bastion; the Developer SKU takes no subnet and no public IP: neither is offered by this module.
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried, identity_body, ids_only, only_true
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource, tags_plan
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, merge_tags, same_location, validate_name, validate_tags)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.public_ip_address import PUBLIC_IP_TYPE

BASTION_TYPE = "Microsoft.Network/bastionHosts"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
BASTION_SUBNET = "AzureBastionSubnet"
API = GenericApi("2026-03-01")
SKUS = ("Basic", "Standard")
SKU_RANK = {"Basic": 0, "Standard": 1, "Premium": 2}
IP_CONFIGURATION = "IpConf"
BASIC_SCALE_UNITS = 2   # Basic runs two instances (configuration-settings, "Instances and host scaling")


def validate_bastion_host(params: dict, subscription_id: str | None) -> dict:
    """Checks before any call; the subnet and public IP as ids."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_name(params["name"], "name")
    wanted = {}
    if params.get("state") == "present":
        for key in ("subnet", "public_ip_address"):
            if not params.get(key):
                raise AzureInputError(f"{key} is required with state=present")
        subnet = ResourceId.parse(id_or_name(params["subnet"], subscription_id, params["resource_group"], SUBNET_TYPE, "subnet"), "subnet")
        if subnet.name != BASTION_SUBNET:
            raise AzureInputError(f"subnet: {params['subnet']!r} is named {subnet.name!r}; Azure Bastion needs the subnet named "
                                  f"exactly {BASTION_SUBNET} (a /26 or larger, holding nothing else)")
        if (subnet.resource_group or "").lower() != params["resource_group"].lower():
            raise AzureInputError(f"subnet: {params['subnet']!r} is in resource group {subnet.resource_group!r}; the "
                                  f"{BASTION_SUBNET} must be in the bastion host's resource group {params['resource_group']!r}")
        wanted["subnet"] = str(subnet)
        wanted["public_ip_address"] = id_or_name(params["public_ip_address"], subscription_id, params["resource_group"],
                                                 PUBLIC_IP_TYPE, "public_ip_address")
    units = params.get("scale_units")
    if units is not None:
        # Without sku, the existing host's SKU decides (plan_bastion_host); a new host is Basic.
        if params.get("sku") not in (None, "Standard"):
            raise AzureInputError(f"scale_units: {units} needs sku=Standard (host scaling); a Basic host runs {BASIC_SCALE_UNITS} "
                                  "instances")
        if not 2 <= units <= 50:
            raise AzureInputError(f"scale_units: {units} is out of range 2-50")
    return wanted


def bastion_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    ipconf = ((props.get("ipConfigurations") or [{}])[0].get("properties") or {})
    return {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "sku": (doc.get("sku") or {}).get("name"), "scale_units": props.get("scaleUnits"), "dns_name": props.get("dnsName"),
            "subnet": (ipconf.get("subnet") or {}).get("id"), "public_ip_address": (ipconf.get("publicIPAddress") or {}).get("id"),
            "provisioning_state": props.get("provisioningState")}


def _same(key: str, have, want) -> bool:
    return ids_equal(have, want) if key in ("subnet", "public_ip_address") else have == want


def plan_bastion_host(existing: dict | None, params: dict, wanted: dict):
    """Create, a PUT of the whole host when a given option differs, a tags PATCH (BastionHosts_Update), or nothing."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"bastion host {params['name']!r} does not exist: location is needed to create it")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"bastion host {params['name']!r} is in {existing['location']}; Azure cannot move it to {params['location']}")
    have = bastion_view(existing)
    given = dict(wanted)
    for key in ("sku", "scale_units"):
        if params.get(key) is not None:
            given[key] = params[key]
    if existing and given.get("sku") and SKU_RANK.get(given["sku"], 0) < SKU_RANK.get(have.get("sku") or "Basic", 0):
        raise AzureInputError(f"sku: bastion host {params['name']!r} is {have.get('sku')}; Azure does not downgrade a SKU to "
                              f"{given['sku']}: delete the host and create it again")
    merged = {"sku": "Basic"}
    merged.update({k: v for k, v in have.items() if k in ("sku", "scale_units", "subnet", "public_ip_address") and v})
    merged.update(given)
    if params.get("scale_units") is not None and merged["sku"] != "Standard":
        raise AzureInputError(f"scale_units: {params['scale_units']} needs sku=Standard (host scaling); bastion host "
                              f"{params['name']!r} is {merged['sku']}" + (" (it does not exist yet)" if not existing else "")
                              + f", which runs {BASIC_SCALE_UNITS} instances")
    props = {"ipConfigurations": [{"name": IP_CONFIGURATION, "properties": {
        "subnet": {"id": merged["subnet"]}, "publicIPAddress": {"id": merged["public_ip_address"]}}}]}
    if merged["sku"] == "Standard" and merged.get("scale_units"):
        props["scaleUnits"] = merged["scale_units"]
    before = {k: have.get(k) for k in given} if existing else {}
    after = dict(given)
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
    changed = existing is not None and any(not _same(k, have.get(k), v) for k, v in given.items())
    location = existing["location"] if existing else params["location"]
    return tags_plan(existing, {"location": location, "sku": {"name": merged["sku"]}, "properties": props}, before, after, changed, tags)


class BastionHost(Resource):
    what = "bastion host"
    # BastionHostPropertiesFormat (2026-03-01) writable parts this module does not manage (carry.py); scaleUnits when
    # not sent (a Premium host's)
    carried = Carried(properties={**dict.fromkeys(("disableCopyPaste", "enableFileCopy", "enableIpConnect", "enableShareableLink",
                                                   "enableTunneling", "enableKerberos", "enableSessionRecording",
                                                   "enablePrivateOnlyBastion"), only_true),
                                  **dict.fromkeys(("networkAcls", "sessionRecordingConfiguration", "scaleUnits")),
                                  "virtualNetwork": ids_only}, top_level={"identity": identity_body})
    result_key = "bastion_host"
    api = API
    provider_type = BASTION_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        self.wanted = validate_bastion_host(self.params, self.module.subscription_id)

    def view(self, doc):
        return bastion_view(doc)

    def plan(self, existing, related):
        return plan_bastion_host(existing, self.params, self.wanted)
