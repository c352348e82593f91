# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subnet tiers of a deployment: the one place each tier's facts are written. PRIVATE to the collection.

One row per subnet of the seed's "Subnet Structure": its third octet in the deployment's /16, the
descriptor in its subnet and NSG names, its delegations, service endpoints and network policies,
whether its workloads may reach the deployment's Key Vault, whether it exists only in prod, and its
inbound NSG rules. The plan (plan.py) turns the table into the settings the modules take; the roles
only read the plan. Why each rule exists: docs/azure.md ("NSG rules per tier").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """An inbound allow rule to the tier's own subnet. A source "tier:<key>" is that tier's CIDR."""

    name: str
    priority: int
    protocol: str
    sources: tuple
    ports: tuple = ("*",)


@dataclass(frozen=True)
class Tier:
    octet: int
    descriptor: str
    delegations: tuple = ()
    key_vault_access: bool = False          # gets the Microsoft.KeyVault endpoint and passes the vault firewall
    private_endpoint_network_policies: str | None = None
    prod_only: bool = False
    rules: tuple = field(default_factory=tuple)
    prefix_length: int = 24                 # the seed's tiers are /24s
    feature: str | None = None              # only when plan.features[feature] is true (off by default)
    fixed_name: str | None = None           # a name Azure imposes (AzureBastionSubnet) instead of snet-cf-...
    nsg: bool = True                        # the tier gets an NSG of ours


SUBNET_TIERS = {
    "container_apps": Tier(1, "apps", delegations=("Microsoft.App/environments",), key_vault_access=True, rules=(
        Rule("allow-https-from-vnet", 100, "Tcp", ("VirtualNetwork",), ("443",)),
        Rule("allow-intra-subnet", 110, "*", ("tier:container_apps",)),
        Rule("allow-azure-load-balancer", 120, "*", ("AzureLoadBalancer",)),
    )),
    "database": Tier(2, "db", delegations=("Microsoft.DBforPostgreSQL/flexibleServers",), rules=(
        Rule("allow-postgresql-from-apps", 100, "Tcp", ("tier:container_apps",), ("5432",)),
        Rule("allow-postgresql-from-management", 110, "Tcp", ("tier:management",), ("5432",)),
        Rule("allow-postgresql-intra-subnet", 120, "Tcp", ("tier:database",), ("5432",)),
    )),
    # Private endpoints: network policies on, so that the NSG also filters them.
    # Azure Managed Redis listens on TLS port 10000 (Microsoft Learn, migrate-basic-standard-premium-understand).
    "redis": Tier(3, "redis", private_endpoint_network_policies="Enabled", rules=(
        Rule("allow-redis-tls-from-apps", 100, "Tcp", ("tier:container_apps",), ("10000",)),
        Rule("allow-redis-tls-from-management", 110, "Tcp", ("tier:management",), ("10000",)),
    )),
    "storage": Tier(4, "st", private_endpoint_network_policies="Enabled", rules=(
        Rule("allow-https-from-apps", 100, "Tcp", ("tier:container_apps",), ("443",)),
        Rule("allow-https-from-management", 110, "Tcp", ("tier:management",), ("443",)),
    )),
    "api_management": Tier(5, "apim", key_vault_access=True, prod_only=True, rules=(
        Rule("allow-https-from-internet", 100, "Tcp", ("Internet",), ("443",)),
        Rule("allow-apim-management", 110, "Tcp", ("ApiManagement",), ("3443",)),
        Rule("allow-azure-load-balancer", 120, "Tcp", ("AzureLoadBalancer",), ("6390",)),
    )),
    # Operators and AWX: they read the vault too.
    "management": Tier(10, "mgmt", key_vault_access=True, rules=(
        Rule("allow-ssh-from-vnet", 100, "Tcp", ("VirtualNetwork",), ("22",)),
        # Only when the bastion tier exists (a rule whose tier source is absent is left out): Azure Bastion reaches
        # the target VMs over their private IPs on 22/3389, best limited to the AzureBastionSubnet range
        # (learn.microsoft.com/azure/bastion/bastion-nsg, "Target VM Subnet").
        Rule("allow-ssh-rdp-from-bastion", 105, "Tcp", ("tier:bastion",), ("22", "3389")),
    )),
    # Azure Bastion (features.bastion, off by default): a subnet named exactly AzureBastionSubnet, /26 or larger, holding
    # nothing else (learn.microsoft.com/azure/bastion/configuration-settings, "Azure Bastion subnet"). 10.x.11.0/26: the
    # first /26 after the management /24, inside the .6-.19 gap the seed's table leaves unassigned (its "RESERVED" block
    # .20-.255 stays whole), so every seed subnet keeps its place (docs/deployment-model.md). No NSG of ours: Azure
    # supports one only with every ingress and egress rule bastion-nsg lists; Bastion works without one.
    "bastion": Tier(11, "bastion", prefix_length=26, feature="bastion", fixed_name="AzureBastionSubnet", nsg=False),
}

# Last of every NSG: everything inbound that no rule above allows is denied, before Azure's default
# AllowVnetInBound (65000) and AllowAzureLoadBalancerInBound (65001). Outbound is Azure's default.
DENY_ALL_INBOUND = {"name": "deny-all-inbound", "priority": 4096, "access": "Deny", "protocol": "*"}
KEY_VAULT_SERVICE_ENDPOINT = "Microsoft.KeyVault"


def tiers_for(environment: str, features: dict | None = None) -> dict:
    """The tiers a deployment of `environment` has (API Management only in prod; a feature's tier only when
    features[feature] is true), in the seed's order."""
    features = features or {}
    return {key: tier for key, tier in SUBNET_TIERS.items()
            if (environment == "prod" or not tier.prod_only) and (tier.feature is None or features.get(tier.feature))}


def nsg_rules(tier: Tier, cidr: str, cidrs: dict) -> list:
    """The tier's NSG rules as the network_security_group module takes them, sources resolved, deny-all last."""
    rules = []
    for rule in tier.rules:
        if any(s.startswith("tier:") and s.split(":", 1)[1] not in cidrs for s in rule.sources):
            continue   # its source tier is not in this deployment (a feature that is off)
        sources = [cidrs[s.split(":", 1)[1]] if s.startswith("tier:") else s for s in rule.sources]
        rules.append({"name": rule.name, "priority": rule.priority, "protocol": rule.protocol,
                      "source_address_prefixes": sources, "destination_address_prefixes": [cidr],
                      "destination_port_ranges": list(rule.ports)})
    return rules + [dict(DENY_ALL_INBOUND)]


def subnet_settings(key: str, cidr: str, names: dict, cidrs: dict) -> dict:
    """One tier of the plan: its CIDR, the virtual_network module's subnet entry, its NSG (name and rules)."""
    tier = SUBNET_TIERS[key]
    subnet = {"name": names["subnets"][key], "address_prefix": cidr, "delegations": list(tier.delegations),
              "service_endpoints": [KEY_VAULT_SERVICE_ENDPOINT] if tier.key_vault_access else []}
    if tier.nsg:
        subnet["network_security_group"] = names["network_security_groups"][key]
    if tier.private_endpoint_network_policies:
        subnet["private_endpoint_network_policies"] = tier.private_endpoint_network_policies
    nsg = {"name": names["network_security_groups"][key], "rules": nsg_rules(tier, cidr, cidrs)} if tier.nsg else None
    return {"cidr": cidr, "key_vault_access": tier.key_vault_access, "subnet": subnet, "network_security_group": nsg}
