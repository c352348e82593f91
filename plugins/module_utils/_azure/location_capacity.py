# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a location offers a deployment and what is left of the subscription's quotas there. PRIVATE to the collection.

Read only, for the resource engine's `inspect()` (module location_capacity_info). The judging is pure (offer_problems,
quota_problems); the reads are three ARM lists through the generic path (no SDK import).

Sources:
- Network usages: REST reference "Usages - List" (GET /subscriptions/{id}/providers/Microsoft.Network/locations/{location}/
  usages; rows {currentValue, limit, name {value, localizedValue}, unit}; VirtualNetworks, NetworkSecurityGroups in its
  sample), Usages_List of azure-mgmt-network 33.1 at the api-version the collection's network modules use.
- PostgreSQL capabilities: REST spec Microsoft.DBforPostgreSQL stable 2025-08-01 openapi.json, CapabilitiesByLocation_List
  (GET .../locations/{location}/capabilities): supportedServerEditions[{name (tier), supportedServerSkus[{name, vCores,
  supportedHaMode, status, reason}]}], supportedServerVersions, geoBackupSupported, zoneRedundantHaSupported,
  zoneRedundantHaAndGeoBackupSupported, restricted ("'Enabled' means location is restricted"); CapabilityStatus Visible,
  Available, Default, Disabled, with `reason` "for the capability not being available". The same operation is in
  azure-mgmt-postgresqlflexibleservers 3.0 (2026-10-01, the collection's version).
- PostgreSQL quota usages: the same spec's QuotaUsages.json, QuotaUsages_List (GET .../locations/{location}/resourceType/
  flexibleServers/usages): rows {name {value}, limit, currentValue, unit}; its example lists families (standardBSFamily,
  standardDDSv4Family), the Az.PostgreSqlFlexibleServer docs' example a `cores` row (the regional total) too. Which family
  row a size counts against is inferred from the names (Standard_D4s_v3 -> standardDSv3Family), unverified; so is whether
  a high-availability standby counts (only the primary's vCores are required; a note says so).
- What to do when a size is not offered or a location is restricted: learn.microsoft.com azure/postgresql/flexible-server/
  how-to-resolve-capacity-errors (a quota increase request; a support request of type 'Service and subscription limits').
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql import HA_MODES, normalize_sku
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql_server import API_VERSION as POSTGRESQL_API_VERSION
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import NETWORK_API_VERSION

NETWORK_API = GenericApi(NETWORK_API_VERSION)
POSTGRESQL_API = GenericApi(POSTGRESQL_API_VERSION)
LOCATION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ]{0,49}$")
NETWORK_ROWS = {"virtual_networks": "VirtualNetworks", "network_security_groups": "NetworkSecurityGroups"}
ASK_MICROSOFT = "ask Microsoft for access (a support request of type 'Service and subscription limits (quotas)')"
RAISE_LIMIT = "request a higher limit (Azure portal: Quotas) or free some"


def location_key(location: str) -> str:
    return str(location or "").replace(" ", "").lower()


def validate_location(location: str) -> str:
    if not LOCATION_RE.match(str(location or "")):
        raise AzureInputError(f"location: {location!r} is not an Azure location name such as westeurope")
    return location_key(location)


def quota_family(size: str) -> str | None:
    """The quota family row a size would count against: standardDSv3Family for Standard_D4s_v3, standardDDSv4Family for
    Standard_D4ds_v4, standardBSFamily for Standard_B1ms (the letters a, d, s of the size's features are kept, others
    dropped, as in the family names Azure lists). Inferred from the names; unverified."""
    match = re.match(r"^Standard_([A-Z]+)\d+([a-z]*)(?:_v(\d+))?$", str(size or ""))
    if not match:
        return None
    features = "".join(c for c in match.group(2) if c in "ads").upper()
    return f"standard{match.group(1)}{features}{'v' + match.group(3) if match.group(3) else ''}Family"


def _enabled(value) -> bool:
    """A feature flag of the capability: only an explicit Disabled counts as not supported."""
    return str(value or "Enabled").lower() != "disabled"


def _available(item: dict) -> bool:
    return str(item.get("status") or "Available").lower() != "disabled"


def _reason(item: dict) -> str:
    return f" ({item['reason']})" if item.get("reason") else ""


def offer_problems(capabilities: list, location: str, spec: dict) -> tuple[dict, list]:
    """(what is offered of the spec, problems) from the capability list of a location. spec: sku_name (Azure's name,
    Standard_...), tier, version, high_availability, geo_redundant_backup."""
    where = f"in {location} for this subscription"
    capability = next((c for c in capabilities or [] if c.get("name") == "FlexibleServerCapabilities"), None) \
        or next(iter(capabilities or []), None)
    offered = {"offered": False, "sku": {}, "tier_skus": [], "versions": []}
    if capability is None:
        return offered, [f"Azure lists no PostgreSQL flexible server capabilities {where}: choose another region or {ASK_MICROSOFT}"]
    problems = []
    if str(capability.get("restricted") or "").lower() == "enabled":
        problems.append(f"PostgreSQL flexible server is restricted {where}{_reason(capability)}: choose another region or {ASK_MICROSOFT}")
    versions = [v.get("name") for v in capability.get("supportedServerVersions") or [] if _available(v)]
    offered["versions"] = versions
    if spec.get("version") and str(spec["version"]) not in versions:
        problems.append(f"PostgreSQL version {spec['version']} is not offered {where} (offered: {', '.join(versions) or 'none'}): "
                        "choose an offered version or another region")
    edition = next((e for e in capability.get("supportedServerEditions") or [] if str(e.get("name")).lower() == spec["tier"].lower()), None)
    skus = [s for s in (edition or {}).get("supportedServerSkus") or [] if _available(s)]
    offered["tier_skus"] = [s.get("name") for s in skus]
    sku = next((s for s in (edition or {}).get("supportedServerSkus") or [] if str(s.get("name")).lower() == spec["sku_name"].lower()), None)
    if edition is None or not _available(edition):
        problems.append(f"PostgreSQL tier {spec['tier']} is not offered {where}{_reason(edition or {})}: choose another tier or region, "
                        f"or {ASK_MICROSOFT}")
    elif sku is None or not _available(sku):
        problems.append(f"PostgreSQL size {spec['sku_name']} ({spec['tier']}) is not offered {where}{_reason(sku or {})} "
                        f"(offered {spec['tier']} sizes: {', '.join(offered['tier_skus']) or 'none'}): choose an offered size or "
                        f"another region, or {ASK_MICROSOFT}")
    else:
        offered["offered"] = True
        offered["sku"] = {"name": sku.get("name"), "tier": edition.get("name"), "v_cores": sku.get("vCores"),
                          "supported_ha_modes": list(sku.get("supportedHaMode") or [])}
        mode = spec.get("high_availability") or "Disabled"
        if mode != "Disabled" and mode not in offered["sku"]["supported_ha_modes"]:
            problems.append(f"high availability {mode} is not offered for {spec['sku_name']} {where} (offered: "
                            f"{', '.join(offered['sku']['supported_ha_modes']) or 'none'}): choose another mode, size or region")
    ha = spec.get("high_availability") or "Disabled"
    if ha == "ZoneRedundant" and not _enabled(capability.get("zoneRedundantHaSupported")):
        problems.append(f"zone-redundant high availability is not supported {where}: use SameZone or Disabled, or another region")
    if spec.get("geo_redundant_backup") and not _enabled(capability.get("geoBackupSupported")):
        problems.append(f"geo-redundant backup is not supported {where}: turn it off or choose another region")
    if (ha == "ZoneRedundant" and spec.get("geo_redundant_backup") and _enabled(capability.get("zoneRedundantHaSupported"))
            and _enabled(capability.get("geoBackupSupported")) and not _enabled(capability.get("zoneRedundantHaAndGeoBackupSupported"))):
        problems.append(f"zone-redundant high availability together with geo-redundant backup is not supported {where}: "
                        "give up one of them or choose another region")
    return offered, problems


def usage_rows(provider: str, items: list) -> list:
    return [{"provider": provider, "name": (u.get("name") or {}).get("value"), "localized_name": (u.get("name") or {}).get("localizedValue"),
             "current": u.get("currentValue"), "limit": u.get("limit"), "unit": u.get("unit")} for u in items or []]


def quota_problems(rows: list, needed: dict, location: str) -> tuple[list, list]:
    """(problems, notes): each needed row (name -> count) must have limit - current >= count; a negative limit is no limit.
    A needed row Azure does not list is a note (nothing to compare with), not a problem."""
    problems, notes = [], []
    by_name = {str(r["name"]).lower(): r for r in rows if r.get("name")}
    for name, count in needed.items():
        row = by_name.get(name.lower())
        if row is None:
            notes.append(f"{location}: Azure lists no usage row {name}; not checked")
            continue
        row["needed"] = count
        limit, current = row.get("limit"), row.get("current") or 0
        if isinstance(limit, int) and limit >= 0 and current + count > limit:
            problems.append(f"{location}: {row.get('localized_name') or name} {current} of {limit} used, the deployment needs "
                            f"{count} more: {RAISE_LIMIT}")
    return problems, notes


def validate_capacity(params: dict) -> dict | None:
    """The PostgreSQL spec with Azure's size name (GP_Standard_D4s_v3 becomes Standard_D4s_v3), or None."""
    if not params.get("postgresql") and not params.get("network"):
        raise AzureInputError("give postgresql, network or both: there is nothing to check")
    pg = params.get("postgresql")
    if not pg:
        return None
    sku = normalize_sku(pg["sku_name"], pg.get("tier"))
    if pg.get("high_availability") not in HA_MODES:
        raise AzureInputError(f"postgresql.high_availability: {pg.get('high_availability')!r} is not one of {', '.join(HA_MODES)}")
    if pg.get("servers", 1) < 0:
        raise AzureInputError(f"postgresql.servers: {pg['servers']} must be 0 or more")
    return dict(pg, sku_name=sku["name"], tier=sku["tier"])


class LocationCapacity(Resource):
    """The location is the 'resource'; its capabilities and usages are read, never written."""

    what = "capacity of location"
    result_key = "postgresql"

    def validate(self):
        self.location = validate_location(self.params["location"])
        self.pg = validate_capacity(self.params)
        self.network = self.params.get("network") or {}
        self.found = {"postgresql": {}, "usages": [], "problems": [], "notes": []}

    def resource_id(self):
        # Only its subscription and name are used (messages name the location).
        return ResourceId(self.module.subscription_id, None, None, ("locations",), (self.location,))

    def get(self, rid):
        base = f"/subscriptions/{rid.subscription}/providers"
        found = self.found
        if self.network:
            rows = usage_rows("Microsoft.Network", self.module.arm.list(f"{base}/Microsoft.Network/locations/{self.location}/usages",
                                                                        NETWORK_API.api_version))
            needed = {NETWORK_ROWS[key]: count for key, count in self.network.items() if count}
            problems, notes = quota_problems(rows, needed, self.location)
            found["usages"] += [r for r in rows if r["name"] in NETWORK_ROWS.values()]
            found["problems"] += problems
            found["notes"] += notes
        if self.pg:
            capabilities = self.module.arm.list(f"{base}/Microsoft.DBforPostgreSQL/locations/{self.location}/capabilities",
                                                POSTGRESQL_API.api_version)
            found["postgresql"], problems = offer_problems(capabilities, self.location, self.pg)
            found["problems"] += problems
            servers, v_cores = self.pg.get("servers", 1), found["postgresql"]["sku"].get("v_cores")
            if servers and v_cores:
                rows = usage_rows("Microsoft.DBforPostgreSQL", self.module.arm.list(
                    f"{base}/Microsoft.DBforPostgreSQL/locations/{self.location}/resourceType/flexibleServers/usages",
                    POSTGRESQL_API.api_version))
                family = quota_family(self.pg["sku_name"])
                needed = {"cores": servers * v_cores}
                if family and any(str(r["name"]).lower() == family.lower() for r in rows):
                    needed[family] = servers * v_cores
                elif family:
                    found["notes"].append(f"{self.location}: Azure lists no quota row {family} for {self.pg['sku_name']}; only the "
                                          "regional vCore total (cores) was checked")
                problems, notes = quota_problems(rows, needed, self.location)
                found["usages"] += [r for r in rows if r["name"] in needed]
                found["problems"] += problems
                found["notes"] += notes
                if self.pg.get("high_availability", "Disabled") != "Disabled":
                    found["notes"].append(f"{self.location}: only the primary's {servers * v_cores} vCores were counted; whether a "
                                          "high-availability standby counts against the quota as well is not known here")
        return found

    def view(self, doc):
        return (doc or {}).get("postgresql") or {}

    def result(self, doc, related):
        doc = doc or self.found
        return {"location": self.location, "postgresql": doc["postgresql"], "usages": doc["usages"],
                "problems": doc["problems"], "notes": doc["notes"]}
