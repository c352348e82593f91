# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vaults for the resource engine: desired state, comparison, soft delete and recovery. PRIVATE to the collection.

The planners are pure Python on ARM REST JSON. Special cases are hooks of the runner: a vault of the
same name that is soft-deleted is recovered before the plan (recover=true), and state=absent can purge
the deleted vault afterwards (purge=true), also when only the soft-deleted vault is left.

IP rules compare as networks: Azure returns a single address `1.2.3.4` as `1.2.3.4/32`
(terraform-provider-azurerm hashes both alike, internal/tf/set/set.go HashIPv4AddressOrCIDR, after the perpetual
diffs of its issues 2164 and 8701); rules allow public IPv4 addresses only (learn.microsoft.com
key-vault/general/network-security: no RFC 1918 ranges, only IPv4).

A new (or recovered) vault's DNS name can lag its creation: as the azurerm provider does after creating a vault
(internal/services/keyvault/key_vault_resource.go: keyVaultRefreshFunc, any HTTP answer from the vault URI counts,
a connection error does not, until several answers in a row), the module waits until the vault URI answers,
bounded by `timeout`, before it returns the URI to the tasks that write secrets.
"""

from __future__ import annotations

import ipaddress
import re
import time

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, id_or_name
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_secret import check_access
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource, apply
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.tls import refused_certificate
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, check_reserved_name, merge_tags, validate_name, validate_tags)

VAULT_TYPE = "Microsoft.KeyVault/vaults"
# The version azure-mgmt-keyvault 14.1 sends (docs/resource-engine.md: generic operations, no SDK needed).
API = GenericApi("2026-05-15")

VAULT_NAME_RE = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"


def validate_vault_name(name: str) -> str:
    if not isinstance(name, str) or not VAULT_NAME_RE.match(name):
        raise AzureInputError(f"name: {name!r} is not a valid Key Vault name; Azure allows 3-24 characters: letters, digits "
                              "and hyphens, starting with a letter, ending with a letter or digit, no consecutive hyphens")
    check_reserved_name(name)
    return name


def subnet_id(value: str, subscription_id: str | None, resource_group: str, what: str) -> str:
    """A subnet resource id from an id, or from `<vnet>/<subnet>` in the given subscription and group
    (only its shape is checked while the subscription is not known yet)."""
    try:
        return id_or_name(value, subscription_id or "-", resource_group, SUBNET_TYPE, what)
    except AzureInputError:
        raise AzureInputError(f"{what}: {value!r} is neither a subnet resource id (/subscriptions/<id>/resourceGroups/<rg>/"
                              "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>) nor <vnet>/<subnet>") from None


RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def normalize_ip_rule(value: str) -> str:
    """An IP rule as Azure returns it (`a.b.c.d/32` for a single address); what Azure refuses fails here."""
    text = str(value or "").strip()
    try:
        network = ipaddress.IPv4Network(text, strict=True)
    except ipaddress.AddressValueError:
        kind = "an IPv6 address" if ":" in text else "not an IPv4 address or CIDR range"
        raise AzureInputError(f"network_acls.ip_rules: {value!r} is {kind}; Key Vault IP rules take public IPv4 addresses "
                              "and ranges only") from None
    except ValueError as err:
        if "host bits" in str(err):
            raise AzureInputError(f"network_acls.ip_rules: {value!r} has host bits set; the network is "
                                  f"{ipaddress.IPv4Network(text, strict=False)}") from None
        raise AzureInputError(f"network_acls.ip_rules: {value!r} is not an IPv4 address or CIDR range ({err})") from None
    if any(network.subnet_of(private) for private in RFC1918):
        raise AzureInputError(f"network_acls.ip_rules: {value!r} is a private (RFC 1918) range; Key Vault IP rules allow public "
                              "addresses only (reach the vault from a VNet through virtual_network_subnet_ids)")
    return str(network)


def canonical_ip_rule(value: str | None) -> str:
    """An IP rule read from Azure, in the form the comparison uses; unparseable values are kept as they are."""
    try:
        return str(ipaddress.IPv4Network(str(value), strict=False))
    except ValueError:
        return str(value)


def ip_rule_value(rule: str) -> str:
    """What to send: a single address as the address (Key Vault's "individual IP address" rule), a range as CIDR."""
    return rule[:-3] if rule.endswith("/32") else rule


def normalize_network_acls(acls: dict | None, subscription_id: str | None = None, resource_group: str = "") -> dict | None:
    """The module's network_acls option as Azure's networkAcls (subnet ids lower-cased, as Azure returns them)."""
    if acls is None:
        return None
    subnets = [subnet_id(entry, subscription_id, resource_group, "network_acls.virtual_network_subnet_ids").lower()
               for entry in acls.get("virtual_network_subnet_ids") or []]
    rules = sorted({normalize_ip_rule(ip) for ip in acls.get("ip_rules") or []})
    return {
        "defaultAction": acls.get("default_action") or "Deny",
        "bypass": acls.get("bypass") or "AzureServices",
        "ipRules": [{"value": ip_rule_value(rule)} for rule in rules],
        "virtualNetworkRules": [{"id": s, "ignoreMissingVnetServiceEndpoint": bool(acls.get("ignore_missing_vnet_service_endpoint"))}
                                for s in sorted(set(subnets))],
    }


def _acls_view(acls: dict | None) -> dict:
    acls = acls or {}
    return {
        "default_action": acls.get("defaultAction", "Allow"),
        "bypass": acls.get("bypass", "AzureServices"),
        "ip_rules": sorted(canonical_ip_rule(r.get("value")) for r in acls.get("ipRules") or []),
        "virtual_network_subnet_ids": sorted((r.get("id") or "").lower() for r in acls.get("virtualNetworkRules") or []),
    }


# What a new vault gets for an option not given; an existing vault keeps its own value of an option not given.
NEW_VAULT_DEFAULTS = {"sku": "standard", "enable_rbac_authorization": True, "soft_delete_retention_days": 90,
                      "enable_purge_protection": False, "public_network_access": "Enabled"}


def option_or_new_vault_default(spec: dict, key: str):
    value = spec.get(key)
    return NEW_VAULT_DEFAULTS[key] if value is None else value


def desired_properties(spec: dict, tenant_id: str, subscription_id: str | None = None) -> dict:
    """properties for a new vault from the module's options."""
    spec = {**spec, **{key: option_or_new_vault_default(spec, key) for key in NEW_VAULT_DEFAULTS}}
    props = {
        "tenantId": tenant_id,
        "sku": {"family": "A", "name": spec["sku"]},
        "enableRbacAuthorization": spec["enable_rbac_authorization"],
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": spec["soft_delete_retention_days"],
        "publicNetworkAccess": spec["public_network_access"],
    }
    if spec["enable_purge_protection"]:
        props["enablePurgeProtection"] = True  # Azure refuses an explicit false on some API versions
    acls = normalize_network_acls(spec.get("network_acls"), subscription_id, spec.get("resource_group", ""))
    if acls is not None:
        props["networkAcls"] = acls
    return props


def vault_view(doc: dict | None) -> dict:
    """What the module returns (and diffs): snake_case, only what the module manages."""
    if not doc:
        return {}
    props = doc.get("properties") or {}
    sku = props.get("sku") or doc.get("sku") or {}
    return {
        "id": doc.get("id"),
        "name": doc.get("name"),
        "location": doc.get("location"),
        "vault_uri": props.get("vaultUri"),
        "tenant_id": props.get("tenantId"),
        "sku": (sku.get("name") or "").lower(),
        "enable_rbac_authorization": bool(props.get("enableRbacAuthorization")),
        "soft_delete_retention_days": props.get("softDeleteRetentionInDays", 90),
        "enable_purge_protection": bool(props.get("enablePurgeProtection")),
        "public_network_access": props.get("publicNetworkAccess", "Enabled"),
        "network_acls": _acls_view(props.get("networkAcls")),
        "tags": dict(doc.get("tags") or {}),
        "provisioning_state": props.get("provisioningState"),
    }


MANAGED = ("sku", "enable_rbac_authorization", "soft_delete_retention_days", "enable_purge_protection",
           "public_network_access", "network_acls", "tags")


def plan_vault(existing: dict | None, spec: dict, tenant_id: str, subscription_id: str | None = None) -> dict:
    """Create (PUT), update (PATCH of the properties given that differ, and tags), or nothing; what Azure
    cannot change (retention, purge protection off) fails before any call. An option not given (None) keeps an existing
    vault's value and gives a new one NEW_VAULT_DEFAULTS'."""
    wanted_props = desired_properties(spec, tenant_id, subscription_id)
    current = vault_view(existing)
    tags = merge_tags(current.get("tags"), spec.get("tags"), spec.get("purge_tags", True))
    wanted = dict(current) if existing else {}
    wanted.update({key: option_or_new_vault_default(spec, key) for key in NEW_VAULT_DEFAULTS
                   if not existing or spec.get(key) is not None})
    wanted.update(enable_purge_protection=bool(wanted.get("enable_purge_protection") or current.get("enable_purge_protection")),
                  tags=tags)
    if "networkAcls" in wanted_props:
        wanted["network_acls"] = _acls_view(wanted_props["networkAcls"])
    elif not existing:
        wanted["network_acls"] = _acls_view(None)
    before = {k: current[k] for k in MANAGED if k in current}
    after = {k: wanted[k] for k in MANAGED if k in wanted}
    if existing is None:
        return Plan("create", {"location": spec.get("location"), "tags": tags, "properties": wanted_props}, {}, after)
    if spec.get("soft_delete_retention_days") is not None and current["soft_delete_retention_days"] != spec["soft_delete_retention_days"]:
        raise AzureInputError(f"soft_delete_retention_days: the vault has {current['soft_delete_retention_days']} days; "
                              "Azure sets the retention once, at creation, and it cannot be changed")
    if current["enable_purge_protection"] and spec.get("enable_purge_protection") is False:
        raise AzureInputError("enable_purge_protection: the vault has purge protection, which Azure never turns off again; "
                              "set enable_purge_protection=true")
    patch_props = {}
    if before.get("sku") != after["sku"]:
        patch_props["sku"] = wanted_props["sku"]
    if before["enable_rbac_authorization"] != after["enable_rbac_authorization"]:
        patch_props["enableRbacAuthorization"] = after["enable_rbac_authorization"]
    if before["enable_purge_protection"] != after["enable_purge_protection"]:
        patch_props["enablePurgeProtection"] = True
    if before["public_network_access"] != after["public_network_access"]:
        patch_props["publicNetworkAccess"] = after["public_network_access"]
    if "networkAcls" in wanted_props and before["network_acls"] != after["network_acls"]:
        patch_props["networkAcls"] = wanted_props["networkAcls"]
    patch = {}
    if patch_props:
        patch["properties"] = patch_props
    if before["tags"] != tags:
        patch["tags"] = tags
    return Plan("patch" if patch else "none", patch, before, after)


def deleted_vault_id(subscription_id: str, location: str, name: str) -> ResourceId:
    """Where ARM keeps a soft-deleted vault: /subscriptions/{s}/providers/Microsoft.KeyVault/locations/{l}/deletedVaults/{n}."""
    return ResourceId(subscription_id, None, "Microsoft.KeyVault", ("locations", "deletedVaults"), (location.replace(" ", "").lower(), name))


def wait_for_vault_uri(module, vault_uri: str, deadline: float, answers: int = 3, interval: float = 1.0,
                       sleep=time.sleep, clock=time.monotonic) -> bool:
    """Wait until `vault_uri` answers `answers` times in a row (any HTTP status, unauthenticated: no token is sent);
    a connection error (the name does not resolve yet) starts the count again. False when `deadline` passes first. A
    certificate that does not verify is raised at once: waiting would not change it."""
    # pylint: disable=import-outside-toplevel
    from azure.core import PipelineClient
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    from azure.core.pipeline import policies
    from azure.core.rest import HttpRequest

    from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import USER_AGENT

    client = PipelineClient(vault_uri, policies=[policies.HeadersPolicy(), policies.UserAgentPolicy(USER_AGENT)],
                            **module.client_transport())
    in_a_row = 0
    while True:
        try:
            client.send_request(HttpRequest("GET", vault_uri))
            in_a_row += 1
        except (ServiceRequestError, ServiceResponseError) as err:
            if refused_certificate(err) is not None:
                raise
            in_a_row = 0
        if in_a_row >= answers:
            return True
        if clock() >= deadline:
            return False
        sleep(interval)


def validate_vault_options(params: dict) -> None:
    validate_name(params["resource_group"], "resource_group", "resource group")
    validate_vault_name(params["name"])
    if params.get("soft_delete_retention_days") is not None and not 7 <= params["soft_delete_retention_days"] <= 90:
        raise AzureInputError(f"soft_delete_retention_days: {params['soft_delete_retention_days']} is out of range 7-90")


class KeyVault(Resource):
    what = "vault"
    result_key = "key_vault"
    api = API
    provider_type = VAULT_TYPE
    recovered = False

    def validate(self):
        validate_vault_options(self.params)
        self.params["tags"] = validate_tags(self.params.get("tags"))
        normalize_network_acls(self.params.get("network_acls"))
        if self.params.get("state") == "absent" and self.params["purge"] and not self.params["location"]:
            raise AzureInputError("purge=true needs location (where the soft-deleted vault is kept)")

    def view(self, doc):
        return vault_view(doc)

    def deleted_view(self, existing, related):
        return vault_view(existing)

    def find_deleted(self, location: str | None) -> dict | None:
        if not location:
            return None
        rid = deleted_vault_id(self.module.subscription_id, location, self.params["name"])
        return self.module.get_or_none(f"look for soft-deleted vault {rid.name}", API.get, self.module, rid)

    def before_plan(self, existing, related):
        """Recover a soft-deleted vault of the same name (recover=true) before comparing the options."""
        if existing is not None:
            return existing
        name, location = self.params["name"], self.params["location"]
        if not location:
            self.module.fail_json(msg=f"location is required to create vault {name}")
        if self.find_deleted(location) is None:
            return None
        if not self.params["recover"]:
            self.module.fail_json(msg=f"vault {name} is soft-deleted in {location}; recover=true recovers it, "
                                      "or purge it first (key_vault state=absent purge=true)")
        if self.module.check_mode:
            self.module.exit_with(True, {}, {"recovered": name}, key_vault={"name": name, "location": location}, recovered=True)
        body = {"location": location, "properties": {"tenantId": self.tenant(None),
                                                     "sku": {"family": "A", "name": option_or_new_vault_default(self.params, "sku")},
                                                     "createMode": "recover"}}
        self.recovered = self.already_changed = True
        doc = apply(self.module, API, f"recover soft-deleted vault {name}", "PUT", self.resource_id(), body)
        self.wait_for_data_plane(doc, "recovered")
        return doc

    def wait_for_data_plane(self, doc: dict | None, how: str) -> None:
        """A new or recovered vault's URI may not resolve yet: wait (bounded by timeout) until it answers."""
        uri = vault_view(doc).get("vault_uri")
        with self.module.operation(f"reach vault {self.params['name']} at {uri}"):
            answered = bool(uri) and wait_for_vault_uri(self.module, uri, self.module.deadline())
        if uri and not answered:
            self.module.fail_json(msg=f"vault {self.params['name']} was {how}, but its URI {uri} did not answer within "
                                      f"{self.params['timeout']} s (a new vault's DNS name can take a while to be published): "
                                      "re-run the task later, or raise timeout")

    def after_write(self, doc, plan):
        if plan.action == "create":
            self.wait_for_data_plane(doc, "created")

    def tenant(self, existing) -> str:
        tenant = self.params["tenant_id"] or ((existing or {}).get("properties") or {}).get("tenantId") or self.module.auth_plan.tenant
        if not tenant:
            self.module.fail_json(msg="tenant_id is required: the credentials in use do not name a tenant (set tenant_id or AZURE_TENANT)")
        return tenant

    def plan(self, existing, related):
        return plan_vault(existing, self.params, self.tenant(existing), self.module.subscription_id)

    def predict(self, existing, plan):
        if existing is None:
            blank = {"id": str(self.resource_id()), "name": self.params["name"], "location": self.params["location"],
                     "properties": {"tenantId": self.tenant(None)}}
            return dict(blank, **plan.body)
        return super().predict(existing, plan)

    def after_delete(self, existing):
        """purge=true: purge the deleted vault (also one that was soft-deleted before this run)."""
        if not self.params["purge"]:
            return False
        name, location = self.params["name"], self.params["location"]
        if existing is not None and vault_view(existing)["enable_purge_protection"]:
            self.module.fail_json(msg=f"vault {name} has purge protection: Azure keeps it until its retention ends; "
                                      "state=absent with purge=false soft-deletes it")
        if existing is None and self.find_deleted(location) is None:
            return False
        if not self.module.check_mode:
            rid = deleted_vault_id(self.module.subscription_id, location, name)
            apply(self.module, API, f"purge soft-deleted vault {name}", "POST", f"{rid}/purge")
        return True

    def result(self, doc, related):
        return {self.result_key: vault_view(doc) if doc else {}, "recovered": self.recovered}


class KeyVaultInfo(KeyVault):
    """The read-only view (module key_vault_info); with check_access, one data-plane read as the caller."""

    def validate(self):
        super().validate()
        if self.params["access_wait"] < 0:
            raise AzureInputError(f"access_wait: {self.params['access_wait']} must be 0 or a number of seconds")
        if self.params["access_wait"] and not self.params["check_access"]:
            raise AzureInputError("access_wait is given without check_access=true; it is how long the access check waits")

    def result(self, doc, related):
        result = super().result(doc, related)
        if self.params["check_access"]:
            result["access"] = check_access(self.module, vault_view(doc)["vault_uri"], self.params["access_wait"]) if doc else {}
        return result
