"""Microsoft.KeyVault: vaults (management plane) with soft delete, recover and purge.

A vault's URI is https://<name>.vault.localhost:<port>/ (the emulator's own port): the data plane
(keyvault_dataplane.py) is served by the same HTTPS server, chosen by the Host header. Deleting a
vault moves it, with its secrets, to a deletedVaults document under the subscription; a PUT with
createMode=recover brings it back; purge removes it for good (refused with purge protection).
Names are global across subscriptions, as in Azure, soft-deleted ones included until they are purged: a name
soft-deleted in the same subscription answers 409 ConflictError (recover or purge it), one live or soft-deleted in
another subscription 409 VaultAlreadyExists (learn.microsoft.com key-vault/general/common-error-codes: "already
exists (in soft-deleted state or in another subscription)").
IP rules are stored as Azure returns them: a single address as `a.b.c.d/32` (terraform-provider-azurerm hashes
`1.2.3.4` and `1.2.3.4/32` alike for this reason, internal/tf/set/set.go; issues 2164 and 8701 show the perpetual
diff otherwise). Private (RFC 1918) and IPv6 addresses are refused (key-vault/general/network-security).
"""
from __future__ import annotations

import ipaddress
import re
import time
from urllib.parse import urlsplit

from ..errors import ArmError, invalid_request
from .base import Context, Ref, ResourceType, TopLevelType, public, refuse_reserved_name, require_dict

NS = "Microsoft.KeyVault"
VAULT_TYPE = f"{NS}/vaults"
DELETED_TYPE = f"{NS}/deletedVaults"
VAULT_DNS_SUFFIX = "vault.localhost"
NAME_RE = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
SKUS = ("standard", "premium")
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def vault_uri(base_url: str, name: str) -> str:
    port = urlsplit(base_url).port
    return f"https://{name.lower()}.{VAULT_DNS_SUFFIX}" + (f":{port}/" if port and port != 443 else "/")


def deleted_id(subscription: str, location: str, name: str) -> str:
    return f"/subscriptions/{subscription}/providers/{NS}/locations/{_loc(location)}/deletedVaults/{name}"


def _loc(location: str) -> str:
    return location.replace(" ", "").lower()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def all_vaults(ctx: Context) -> list[dict]:
    return _of_type(ctx.state, VAULT_TYPE)


def _of_type(state, type_name: str) -> list[dict]:
    return [d for d in state.resources.values() if d.get("type", "").lower() == type_name.lower()]


def all_deleted(ctx: Context) -> list[dict]:
    return _of_type(ctx.state, DELETED_TYPE)


def vault_by_host(state, host: str) -> dict | None:
    """The live vault a data-plane Host header (<name>.vault.localhost[:port]) names."""
    name = host.split(":", 1)[0].lower().removesuffix("." + VAULT_DNS_SUFFIX)
    return next((v for v in _of_type(state, VAULT_TYPE) if v["name"].lower() == name), None)


def _ip_rule(value: str) -> str:
    """An IPv4 address or range as Azure stores it: a single address gets /32."""
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise invalid_request(f"networkAcls.ipRules: '{value}' is not an IPv4 address or CIDR range (only IPv4 is "
                              "supported).", code="BadRequest") from None
    if any(network.subnet_of(ipaddress.IPv4Network(p)) for p in RFC1918):
        raise invalid_request(f"networkAcls.ipRules: '{value}' is a private address (RFC 1918); IP rules allow public "
                              "addresses only.", code="BadRequest")
    return value if "/" in value else f"{value}/32"


class Vaults(TopLevelType):
    namespace = NS
    types = ("vaults",)
    weak_etag = False
    lro_put = True
    lro_delete = False   # Key Vault's DELETE is synchronous (200, or 204 when absent)
    top_level_keys = ()

    def validate_name(self, name: str) -> None:
        if not NAME_RE.match(name):
            raise ArmError(400, "VaultNameNotValid",
                           f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric "
                           "characters. The name must begin with a letter, end with a letter or digit, and not "
                           "contain consecutive hyphens.")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        refuse_reserved_name(ref.name)   # its own DNS name
        props = require_dict(body.get("properties"), "properties")
        existing = self.find(ctx, ref)
        deleted = next((d for d in all_deleted(ctx) if d["name"].lower() == ref.name.lower()), None)
        recover = str(props.get("createMode", "default")).lower() == "recover"
        if existing is None:
            taken = next((v for v in all_vaults(ctx) if v["name"].lower() == ref.name.lower()), None)
            if deleted is not None and not deleted["id"].lower().startswith(f"/subscriptions/{ref.subscription}/".lower()):
                taken, deleted = deleted, None   # soft-deleted in another subscription: taken, and not ours to recover
            if taken is not None:
                raise ArmError(409, "VaultAlreadyExists",
                               f"The vault name '{ref.name}' is already in use. Vault names are globally unique so it "
                               "is possible that the name is already taken.")
            if deleted is not None and not recover:
                raise ArmError(409, "ConflictError",
                               f"A vault with the same name already exists in deleted state. You need to either recover "
                               f"or purge existing key vault '{ref.name}'.")
            if recover and deleted is None:
                raise ArmError(404, "DeletedVaultNotFound", f"There is no soft deleted vault named '{ref.name}' to recover.")
        doc, created = super().put(ctx, ref, body)
        if existing is None and recover and deleted is not None:
            # Recovered: the secrets come back with it.
            doc["_secrets"] = deleted.get("_secrets", {})
            doc["_deletedSecrets"] = deleted.get("_deletedSecrets", {})
            ctx.state.delete(deleted["id"])
        doc.setdefault("_secrets", {})
        doc.setdefault("_deletedSecrets", {})
        doc.setdefault("systemData", {"createdAt": _now()})
        if existing is None:
            doc["_createdAt"] = time.time()   # when its DNS name starts to lag (access.dns_delay)
        return doc, created

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        old = (existing or {}).get("properties", {})
        tenant = str(props.get("tenantId") or "")
        if not re.match(r"^[0-9a-fA-F-]{36}$", tenant):
            raise invalid_request(f"properties.tenantId '{tenant}' must be a tenant id (a GUID).", code="BadRequest")
        sku = require_dict(props.get("sku"), "properties.sku")
        if str(sku.get("name", "")).lower() not in SKUS or str(sku.get("family", "")).upper() != "A":
            raise invalid_request(f"properties.sku {sku} is invalid: family must be 'A', name one of {list(SKUS)}.",
                                  code="BadRequest")
        days = int(props.get("softDeleteRetentionInDays", old.get("softDeleteRetentionInDays", 90)))
        if not 7 <= days <= 90:
            raise invalid_request(f"softDeleteRetentionInDays {days} is out of range: it must be between 7 and 90.",
                                  code="BadRequest")
        if existing and days != old.get("softDeleteRetentionInDays"):
            raise invalid_request("The property \"softDeleteRetentionInDays\" has been set already and it can't be modified.",
                                  code="BadRequest")
        if props.get("enableSoftDelete") is False:
            raise invalid_request("The property \"enableSoftDelete\" cannot be set to false; soft delete is always on.",
                                  code="BadRequest")
        if props.get("enablePurgeProtection") is False:   # a new vault too (Azure/azure-rest-api-specs#18106)
            raise invalid_request("The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge "
                                  "protection for a vault is an irreversible action.", code="BadRequest")
        purge = props.get("enablePurgeProtection", old.get("enablePurgeProtection"))
        acls = self._network_acls(ctx, props.get("networkAcls"))
        result = {
            "tenantId": tenant.lower(),
            "sku": {"family": "A", "name": str(sku["name"]).lower()},  # inside properties, as Key Vault returns it
            "accessPolicies": list(props.get("accessPolicies") or []),
            "enabledForDeployment": bool(props.get("enabledForDeployment", False)),
            "enabledForDiskEncryption": bool(props.get("enabledForDiskEncryption", False)),
            "enabledForTemplateDeployment": bool(props.get("enabledForTemplateDeployment", False)),
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": days,
            "enableRbacAuthorization": bool(props.get("enableRbacAuthorization", False)),
            "networkAcls": acls,
            "publicNetworkAccess": props.get("publicNetworkAccess") or "Enabled",
            "vaultUri": vault_uri(ctx.base_url, ref.name),
            "provisioningState": "Succeeded",
        }
        if purge:
            result["enablePurgeProtection"] = True
        return result

    @staticmethod
    def _network_acls(ctx: Context, value) -> dict:
        acls = require_dict(value, "properties.networkAcls")
        default = str(acls.get("defaultAction", "Allow"))
        bypass = str(acls.get("bypass", "AzureServices"))
        if default not in ("Allow", "Deny") or bypass not in ("AzureServices", "None"):
            raise invalid_request(f"networkAcls: defaultAction '{default}' must be Allow or Deny and bypass '{bypass}' "
                                  "AzureServices or None.", code="BadRequest")
        rules = []
        for rule in acls.get("virtualNetworkRules") or []:
            subnet_id = str(require_dict(rule, "virtualNetworkRule").get("id") or "")
            subnet = ctx.find(subnet_id)
            if subnet is None or subnet.get("type", "").lower() != "microsoft.network/virtualnetworks/subnets":
                raise invalid_request(f"The subnet '{subnet_id}' of a virtual network rule was not found.",
                                      code="SubnetNotFound")
            endpoints = [e["service"].lower() for e in subnet.get("properties", {}).get("serviceEndpoints", [])]
            ignore = bool(rule.get("ignoreMissingVnetServiceEndpoint", False))
            if "microsoft.keyvault" not in endpoints and not ignore:
                # Azure's answer (Azure/avdaccelerator#818, hashicorp/terraform-provider-azurerm#11759).
                vnet_id = subnet["id"].rsplit("/subnets/", 1)[0]
                raise invalid_request(f"Subnets {subnet['name']} of virtual network {vnet_id} do not have ServiceEndpoints "
                                      "for Microsoft.KeyVault resources configured. Add Microsoft.KeyVault to subnet's "
                                      "ServiceEndpoints collection before trying to ACL Microsoft.KeyVault resources to "
                                      "these subnets.", code="SubnetsHaveNoServiceEndpointsConfigured")
            # Azure returns subnet ids lower-cased in vault network rules.
            rules.append({"id": subnet["id"].lower(), "ignoreMissingVnetServiceEndpoint": ignore})
        ips = [{"value": _ip_rule(str(require_dict(r, "ipRule").get("value")))} for r in acls.get("ipRules") or []]
        return {"bypass": bypass, "defaultAction": default, "ipRules": ips, "virtualNetworkRules": rules}

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        """Vaults_Update: PATCH merges properties (and tags) into the vault."""
        doc = self.get(ctx, ref)
        merged = {"location": doc["location"], "tags": body.get("tags", doc.get("tags")),
                  "properties": dict(doc["properties"], **require_dict(body.get("properties"), "properties"))}
        return self.put(ctx, ref, merged)[0]

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        # Soft delete: keep a deletedVaults document (with the secrets) before the vault goes.
        props = doc["properties"]
        days = props.get("softDeleteRetentionInDays", 90)
        ctx.state.put({
            "id": deleted_id(ref.subscription, doc["location"], doc["name"]), "name": doc["name"], "type": DELETED_TYPE,
            "properties": {"vaultId": doc["id"], "location": _loc(doc["location"]), "deletionDate": _now(),
                           "scheduledPurgeDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + days * 86400)),
                           "tags": doc.get("tags", {}), "purgeProtectionEnabled": bool(props.get("enablePurgeProtection"))},
            "_secrets": doc.get("_secrets", {}), "_deletedSecrets": doc.get("_deletedSecrets", {}),
        })
        return [doc["id"]]

    def render(self, ctx: Context, doc: dict) -> dict:
        view = public(doc)
        # The vault URI follows the port the emulator runs on now (it may change across restarts).
        view["properties"]["vaultUri"] = vault_uri(ctx.base_url, doc["name"])
        return view


class DeletedVaults(ResourceType):
    """GET/list soft-deleted vaults and POST .../purge, at subscription scope."""

    namespace = NS
    types = ("locations", "deletedVaults")
    subscription_scoped = True
    lro_put = False

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        return ctx.state.get(deleted_id(ref.subscription, ref.names[0], ref.name))

    def not_found(self, ref: Ref) -> ArmError:
        return ArmError(404, "DeletedVaultNotFound", f"The deleted vault '{ref.name}' could not be found "
                                                     f"in location '{ref.names[0]}'.")

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return [d for d in all_deleted(ctx) if d["id"].lower().startswith(f"/subscriptions/{ref.subscription}/".lower())]

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        raise ArmError(405, "MethodNotAllowed", "Deleted vaults cannot be written; recover them with a vault PUT.")

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        raise ArmError(405, "MethodNotAllowed", "Purge a deleted vault with POST .../purge.")

    def post(self, ctx: Context, ref: Ref, action: str, body: dict) -> tuple[int, object]:
        if action.lower() != "purge":
            return super().post(ctx, ref, action, body)
        doc = self.find(ctx, ref)
        if doc is None:
            raise self.not_found(ref)
        if doc["properties"].get("purgeProtectionEnabled"):
            # Azure's answer as az keyvault purge prints it: "(MethodNotAllowed) Operation 'DeletedVaultPurge' is not
            # allowed." (microsoft/AzureTRE#1446; the status, 405, unverified)
            raise ArmError(405, "MethodNotAllowed", "Operation 'DeletedVaultPurge' is not allowed.")
        ctx.state.delete(doc["id"])
        return 200, None


class DeletedVaultsList(ResourceType):
    """GET /subscriptions/{id}/providers/Microsoft.KeyVault/deletedVaults (Vaults_ListDeleted)."""

    namespace = NS
    types = ("deletedVaults",)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return DeletedVaults().list(ctx, ref)


TYPES = [Vaults(), DeletedVaults(), DeletedVaultsList()]
