"""Microsoft.Network public IP addresses and Azure Bastion hosts (api-version 2026-03-01).

Sources (docs/emulator.md lists each rule with its source and status code):
- REST spec: specification/network/resource-manager/Microsoft.Network/Network/stable/2026-03-01/virtualNetwork.json
  (BastionHosts_CreateOrUpdate, long-running; BastionHosts_Update, a long-running PATCH of tags or identity;
  PublicIPAddresses_CreateOrUpdate, long-running; PublicIPAddresses_UpdateTags, not); the body excerpt is
  specs/Microsoft.Network/2026-03-01/bastion.json (scaleUnits 2-50, ipConfigurations[].properties.subnet required).
- learn.microsoft.com/azure/bastion/configuration-settings: every SKU but Developer needs a subnet named
  AzureBastionSubnet, /26 or larger (since 2 November 2021), in the same virtual network and resource group as the host,
  holding no other resource; a Standard, Static public IP; host scaling Standard only (Basic: two instances); no SKU
  downgrade. learn.microsoft.com/azure/virtual-network/ip-services/public-ip-basic-upgrade-guidance: Basic public IPs
  retired on 30 September 2025; public-ip-addresses: a Standard public IP is Static.
- PublicIPAddressCannotBeDeleted (400) while the address is allocated to a resource: oap-project/cloudtik#158,
  microsoft/AzureTRE#4355 (message as quoted there). The other refusals' codes are unverified and say so here and in
  docs/emulator.md (Azure's status 400, the code ours).
"""
from __future__ import annotations

import hashlib
import ipaddress
import uuid

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, require_dict
from .network import SUBNET_TYPE, VNET_TYPE, mark_subnet_in_use, same_location, subnet_prefixes

NS = "Microsoft.Network"
PIP_TYPE = f"{NS}/publicIPAddresses"
BASTION_TYPE = f"{NS}/bastionHosts"
BASTION_SUBNET = "AzureBastionSubnet"
PIP_SKUS = ("Standard", "StandardV2")
BASTION_SKUS = ("Basic", "Standard", "Developer", "Premium")
SKU_RANK = {"Developer": -1, "Basic": 0, "Standard": 1, "Premium": 2}


def _unverified(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)   # status 400 as Azure's validation errors; the code is unverified (docs/emulator.md)


def _address(resource_id: str) -> str:
    """A stable documentation-range address per resource (TEST-NET-3 203.0.113.0/24 is never routed)."""
    return f"203.0.113.{int(hashlib.sha256(resource_id.lower().encode()).hexdigest(), 16) % 250 + 4}"


class PublicIPAddresses(TopLevelType):
    namespace = NS
    types = ("publicIPAddresses",)
    top_level_keys = ("sku", "zones")

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        sku = require_dict(body.get("sku"), "sku")
        name = sku.get("name") or "Basic"   # no SKU: the former default, Basic (unverified)
        if name == "Basic":
            # Azure's answer since the retirement (skypilot-org/skypilot#7977; the status unverified)
            raise _unverified("IPv4BasicSkuPublicIpCountLimitReached", "Cannot create more than 0 IPv4 Basic SKU public IP "
                              "addresses for this subscription in this region.")
        if name not in PIP_SKUS:
            raise _unverified("InvalidPublicIPAddressSku", f"Public IP address {ref.id}: SKU '{name}' is not one of "
                              f"{', '.join(PIP_SKUS)}.")
        allocation = props.setdefault("publicIPAllocationMethod", "Static")
        if allocation != "Static":
            # Azure's code and message (MicrosoftDocs/azure-docs#42889, 400; pulumi/pulumi-azure-native#1597)
            raise _unverified("StandardSkuPublicIPAddressesMustBeStatic", f"{name} sku publicIp {ref.id} must have "
                              "AllocationMethod set to Static.")
        if existing:
            old = existing.get("sku") or {}
            if old.get("name") != name or sorted(existing.get("zones") or []) != sorted(body.get("zones") or []):
                raise _unverified("PublicIPAddressSkuOrZonesCannotChange", f"Public IP address {ref.id}: its SKU and zones "
                                  "are set at creation; delete the address and create it again.")
        props.setdefault("publicIPAddressVersion", "IPv4")
        props.setdefault("idleTimeoutInMinutes", 4)
        props["ipAddress"] = (existing or {}).get("properties", {}).get("ipAddress") or _address(ref.id)
        props["resourceGuid"] = (existing or {}).get("properties", {}).get("resourceGuid") or str(uuid.uuid4())
        props["provisioningState"] = "Succeeded"
        if existing and existing["properties"].get("ipConfiguration"):
            props["ipConfiguration"] = existing["properties"]["ipConfiguration"]
        return props

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        doc, created = super().put(ctx, ref, body)
        doc["sku"] = {"name": doc["sku"]["name"] if doc.get("sku", {}).get("name") else "Standard",
                      "tier": (body.get("sku") or {}).get("tier") or "Regional"}
        return doc, created

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        user = doc["properties"].get("ipConfiguration", {}).get("id")
        if user:   # oap-project/cloudtik#158, microsoft/AzureTRE#4355
            raise ArmError(400, "PublicIPAddressCannotBeDeleted",
                           f"Public IP address {doc['id']} can not be deleted since it is still allocated to resource "
                           f"{user}. In order to delete the public IP, disassociate/detach the Public IP address from the "
                           "resource.  To learn how to do this, see aka.ms/deletepublicip.")
        return [doc["id"]]


class BastionHosts(TopLevelType):
    namespace = NS
    types = ("bastionHosts",)
    top_level_keys = ("sku", "zones", "identity")
    lro_patch = True   # BastionHosts_Update is long-running (x-ms-long-running-operation)

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        sku = require_dict(body.get("sku"), "sku").get("name") or "Basic"
        if sku not in BASTION_SKUS:
            raise _unverified("InvalidBastionHostSku", f"Bastion host {ref.id}: SKU '{sku}' is not one of {', '.join(BASTION_SKUS)}.")
        old_sku = ((existing or {}).get("sku") or {}).get("name")
        if old_sku and SKU_RANK[sku] < SKU_RANK.get(old_sku, 0):
            raise _unverified("BastionHostSkuDowngradeNotSupported", f"Bastion host {ref.id} is {old_sku}: downgrading the SKU "
                              f"to {sku} is not supported; delete and recreate the host.")
        if sku == "Developer":
            raise _unverified("BastionHostSkuNotServed", f"Bastion host {ref.id}: the emulator serves Basic, Standard and "
                              "Premium hosts (the Developer SKU takes no subnet).")
        configs = props.get("ipConfigurations") or []
        if len(configs) != 1:
            raise _unverified("BastionHostNeedsOneIpConfiguration", f"Bastion host {ref.id} needs exactly one IP configuration, "
                              f"got {len(configs)}.")
        config = require_dict(configs[0], "ipConfigurations[0]")
        cprops = require_dict(config.get("properties"), "ipConfigurations[0].properties")
        subnet = self._subnet(ctx, ref, str(require_dict(cprops.get("subnet"), "subnet").get("id") or ""), location)
        pip_id = str(require_dict(cprops.get("publicIPAddress"), "publicIPAddress").get("id") or "")
        pip = self._public_ip(ctx, ref, pip_id, location)
        units = props.get("scaleUnits")
        if units is not None and sku == "Basic" and units != 2:
            raise _unverified("BastionHostScalingNeedsStandardSku", f"Bastion host {ref.id}: host scaling (scaleUnits {units}) "
                              "needs the Standard SKU; a Basic host runs 2 instances.")
        config_id = f"{ref.id}/bastionHostIpConfigurations/{config.get('name') or 'IpConf'}"
        old = (existing or {}).get("properties", {})
        flags = ("disableCopyPaste", "enableFileCopy", "enableIpConnect", "enableShareableLink", "enableTunneling",
                 "enableKerberos", "enableSessionRecording", "enablePrivateOnlyBastion")
        out = {flag: bool(props.get(flag, False)) for flag in flags}
        out.update({
            "ipConfigurations": [{"id": config_id, "name": config.get("name") or "IpConf",
                                  "type": f"{BASTION_TYPE}/bastionHostIpConfigurations", "properties": {
                                      "subnet": {"id": subnet["id"]}, "publicIPAddress": {"id": pip["id"]},
                                      "privateIPAllocationMethod": cprops.get("privateIPAllocationMethod", "Dynamic"),
                                      "provisioningState": "Succeeded"}}],
            "dnsName": old.get("dnsName") or f"bst-{uuid.uuid4()}.bastion.azure.com",
            "scaleUnits": units if units is not None else 2,
            "provisioningState": "Succeeded",
        })
        return out

    @staticmethod
    def _subnet(ctx: Context, ref: Ref, subnet_id: str, location: str) -> dict:
        subnet = ctx.find(subnet_id) if subnet_id else None
        vnet = ctx.find(subnet_id.rsplit("/subnets/", 1)[0]) if subnet is not None and "/subnets/" in subnet_id else None
        if subnet is None or vnet is None or subnet.get("type", "").lower() != SUBNET_TYPE.lower() \
                or vnet.get("type", "").lower() != VNET_TYPE.lower() or not same_location(vnet["location"], location):
            # the same refusal as a private endpoint's missing subnet (Azure/azure-cli#13614)
            raise ArmError(400, "InvalidResourceReference", f"Resource {subnet_id} referenced by resource {ref.id} was not "
                           "found. Please make sure that the referenced resource exists, and that both resources are in the "
                           "same region.")
        if subnet["name"] != BASTION_SUBNET:
            # Azure's answer, quoted in hashicorp/terraform-provider-azurerm PR #15365 (docs/emulator.md)
            raise ArmError(400, "SubnetNameMustBeAzureBastionSubnet", f"Subnet name {subnet_id} is invalid for Azure Bastion. "
                           f"Azure Bastion can only be created in subnet with name '{BASTION_SUBNET}'.")
        if vnet["id"].split("/")[4].lower() != ref.resource_group.lower():
            raise _unverified("BastionHostSubnetNotInResourceGroup", f"Bastion host {ref.id}: the {BASTION_SUBNET} must be in a "
                              f"virtual network of the host's resource group {ref.resource_group}.")
        prefixes = subnet_prefixes(subnet)
        if not prefixes or any(ipaddress.ip_network(p).prefixlen > 26 for p in prefixes):
            raise _unverified("BastionHostSubnetTooSmall", f"Bastion host {ref.id}: {BASTION_SUBNET} "
                              f"({', '.join(prefixes)}) must be /26 or larger.")
        props = subnet.get("properties", {})
        others = [u for u in subnet.get("_usedBy", []) if u.lower() != ref.id.lower()]
        if others or props.get("delegations"):
            raise _unverified("BastionHostSubnetNotEmpty", f"Bastion host {ref.id}: {BASTION_SUBNET} can't contain other "
                              f"resources ({(others or ['a delegation'])[0]}).")
        return subnet

    @staticmethod
    def _public_ip(ctx: Context, ref: Ref, pip_id: str, location: str) -> dict:
        pip = ctx.find(pip_id) if pip_id else None
        if pip is None or pip.get("type", "").lower() != PIP_TYPE.lower() or not same_location(pip["location"], location):
            raise ArmError(400, "InvalidResourceReference", f"Resource {pip_id or '(none)'} referenced by resource {ref.id} "
                           "was not found. Please make sure that the referenced resource exists, and that both resources "
                           "are in the same region.")
        sku = (pip.get("sku") or {}).get("name")
        allocation = pip["properties"].get("publicIPAllocationMethod")
        if sku != "Standard" or allocation != "Static":
            raise _unverified("BastionHostPublicIpInvalid", f"Bastion host {ref.id}: the public IP {pip['id']} is {sku} "
                              f"{allocation}; Azure Bastion needs a Standard SKU, Static public IP address.")
        user = pip["properties"].get("ipConfiguration", {}).get("id", "")
        if user and not user.lower().startswith(ref.id.lower() + "/"):
            raise _unverified("PublicIPAddressInUse", f"Bastion host {ref.id}: the public IP {pip['id']} is already used by "
                              f"{user}.")
        return pip

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        existing = self.find(ctx, ref)
        old_conf = ((existing or {}).get("properties", {}).get("ipConfigurations") or [{}])[0].get("properties", {})
        doc, created = super().put(ctx, ref, body)
        doc["sku"] = {"name": (body.get("sku") or {}).get("name") or "Basic"}
        conf = doc["properties"]["ipConfigurations"][0]
        self._release(ctx, doc["id"], old_conf, keep=conf["properties"])
        mark_subnet_in_use(ctx, conf["properties"]["subnet"]["id"], doc["id"])
        ctx.find(conf["properties"]["publicIPAddress"]["id"])["properties"]["ipConfiguration"] = {"id": conf["id"]}
        return doc, created

    @staticmethod
    def _release(ctx: Context, host_id: str, old: dict, keep: dict | None = None) -> None:
        """Free the subnet and public IP an earlier version of the host used (those not kept)."""
        keep = keep or {}
        subnet = (old.get("subnet") or {}).get("id")
        if subnet and subnet.lower() != (keep.get("subnet") or {}).get("id", "").lower() and ctx.find(subnet) is not None:
            mark_subnet_in_use(ctx, subnet, host_id, in_use=False)
        pip_id = (old.get("publicIPAddress") or {}).get("id")
        pip = ctx.find(pip_id) if pip_id else None
        if pip is not None and pip_id.lower() != (keep.get("publicIPAddress") or {}).get("id", "").lower():
            pip["properties"].pop("ipConfiguration", None)

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        self._release(ctx, doc["id"], (doc["properties"].get("ipConfigurations") or [{}])[0].get("properties", {}))
        return [doc["id"]]


TYPES = [PublicIPAddresses(), BastionHosts()]
