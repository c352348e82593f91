# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Managed Redis (Microsoft.Cache/redisEnterprise) with its database, for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Cache RedisEnterprise stable 2025-07-01, redisenterprise.json (Azure/azure-rest-api-specs, commit
  15f38e5b507c1875212fabd59839498f3a6e2015; tools/arm_emulator/specs/README.md says why not 2026-02-01): the cluster PUT
  ("overwrite/recreate, with potential downtime"), PATCH and DELETE are long-running, so an existing cluster is changed
  by PATCH only; the SKU list; publicNetworkAccess required on create; highAvailability "Enabled by default";
  minimumTlsVersion 1.0 and 1.1 "completely obsolete -- you cannot use them"; cluster and database names 1-60 letters,
  digits and single hyphens, no hyphen at either end; the database's port is "specified at create time"
  (x-ms-mutability read, create), clusteringPolicy "can be updated only if the current value is NoCluster", defaults
  clientProtocol Encrypted, clusteringPolicy OSSCluster, evictionPolicy VolatileLRU, accessKeysAuthentication Disabled
  (Microsoft Entra ID only).
- learn.microsoft.com/azure/redis/migrate/migrate-basic-standard-premium-understand: TLS port 10000, host
  <name>.<region>.redis.azure.net, high availability optional (non-HA for dev/test, no SLA).
- learn.microsoft.com/azure/redis/migrate/migrate-overview: Premium P1 maps to Balanced B5, Basic/Standard C0 to B0 and
  C1 to B1; "Use non High Availability option of Azure Managed Redis for Migrating Basic SKUs".
- terraform-provider-azurerm, managed_redis database docs: the database name "Currently the acceptable value ... is
  `default`".
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource, deep_merge
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import (
    AzureInputError, check_reserved_name, merge_tags, same_location, validate_name, validate_tags)

CLUSTER_TYPE = "Microsoft.Cache/redisEnterprise"
DATABASE = "default"   # the one database an Azure Managed Redis cluster has
API = GenericApi("2025-07-01")   # no SDK: ARM's generic operations (docs/resource-engine.md)
NAME_RE = re.compile(r"^(?=.{1,60}$)[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
# The spec's SKUs less Enterprise_* and EnterpriseFlash_* (Azure Cache for Redis Enterprise, retiring 2027-03-31).
SKUS = tuple(
    [f"Balanced_B{n}" for n in (0, 1, 3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700, 1000)]
    + [f"MemoryOptimized_M{n}" for n in (10, 20, 50, 100, 150, 250, 350, 500, 700, 1000, 1500, 2000)]
    + [f"ComputeOptimized_X{n}" for n in (3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700)]
    + [f"FlashOptimized_A{n}" for n in (250, 500, 700, 1000, 1500, 2000, 4500)])
CHOICES = {"high_availability": ("Enabled", "Disabled"), "minimum_tls_version": ("1.2",),
           "public_network_access": ("Enabled", "Disabled"), "client_protocol": ("Encrypted", "Plaintext"),
           "clustering_policy": ("EnterpriseCluster", "OSSCluster", "NoCluster"),
           "eviction_policy": ("AllKeysLFU", "AllKeysLRU", "AllKeysRandom", "VolatileLRU", "VolatileLFU", "VolatileTTL",
                               "VolatileRandom", "NoEviction"),
           "access_keys_authentication": ("Disabled", "Enabled")}
# Option -> path in the cluster document, and in the database document.
CLUSTER_FIELDS = {"sku_name": ("sku", "name"), "high_availability": ("properties", "highAvailability"),
                  "minimum_tls_version": ("properties", "minimumTlsVersion"),
                  "public_network_access": ("properties", "publicNetworkAccess")}
DATABASE_FIELDS = {"client_protocol": "clientProtocol", "port": "port", "clustering_policy": "clusteringPolicy",
                   "eviction_policy": "evictionPolicy", "access_keys_authentication": "accessKeysAuthentication"}
# What a new cluster and database get when the option is not given (secure where Azure's default is not).
CLUSTER_DEFAULTS = {"minimum_tls_version": "1.2", "public_network_access": "Disabled"}
DATABASE_DEFAULTS = {"client_protocol": "Encrypted", "port": 10000, "clustering_policy": "OSSCluster",
                     "eviction_policy": "VolatileLRU", "access_keys_authentication": "Disabled"}


def validate_managed_redis(params: dict) -> None:
    """Checks before any call; each message names the option and what is valid."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    if not NAME_RE.match(params.get("name") or ""):
        raise AzureInputError(f"name: {params.get('name')!r} is not a valid Azure Managed Redis name; Azure allows 1-60 "
                              "letters, digits and hyphens, with no hyphen at either end and no two hyphens in a row")
    check_reserved_name(params["name"])
    if params.get("sku_name") is not None and params["sku_name"] not in SKUS:
        raise AzureInputError(f"sku_name: {params['sku_name']!r} is not an Azure Managed Redis SKU; valid: Balanced_B0 ... "
                              "Balanced_B1000, MemoryOptimized_M10 ..., ComputeOptimized_X3 ..., FlashOptimized_A250 ... "
                              "(Azure Cache for Redis Basic/Standard/Premium P1 maps to Balanced_B5)")
    for key, allowed in CHOICES.items():
        if params.get(key) is not None and params[key] not in allowed:
            raise AzureInputError(f"{key}: {params[key]!r} is not one of {', '.join(allowed)}")
    port = params.get("port")
    if port is not None and (isinstance(port, bool) or not 1 <= port <= 65535):
        raise AzureInputError(f"port: {port!r} is not a TCP port (1-65535); Azure Managed Redis uses 10000")


def _get(doc: dict | None, path) -> object:
    for key in (path if isinstance(path, tuple) else (path,)):
        doc = (doc or {}).get(key)
    return doc


def cluster_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"), "tags": dict(doc.get("tags") or {}),
            "host_name": props.get("hostName"), "redis_version": props.get("redisVersion"),
            "provisioning_state": props.get("provisioningState"), "resource_state": props.get("resourceState")}
    view.update({key: _get(doc, path) for key, path in CLUSTER_FIELDS.items()})
    return view


def database_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    view = {"id": doc.get("id"), "name": doc.get("name"), "provisioning_state": props.get("provisioningState")}
    view.update({key: props.get(field) for key, field in DATABASE_FIELDS.items()})
    return view


def _database_plan(database: dict | None, params: dict, rid: ResourceId, before: dict, after: dict) -> list:
    """The child write of the database: PUT when it does not exist, PATCH of what differs, or nothing."""
    given = {key: params[key] for key in DATABASE_FIELDS if params.get(key) is not None}
    have = database_view(database)
    if database is None:
        wanted = dict(DATABASE_DEFAULTS, **given)
        after.update(given)
        props = {DATABASE_FIELDS[key]: value for key, value in wanted.items()}
        return [Child(f"create database {DATABASE} of {rid.name}", "PUT", rid.child("databases", DATABASE), {"properties": props}, API)]
    changed = {}
    for key, value in given.items():
        before[key], after[key] = have.get(key), value
        if have.get(key) != value:
            changed[key] = value
    if "port" in changed:
        raise AzureInputError(f"port: the database of {rid.name} listens on {have.get('port')}; a port is set when the database "
                              "is created and cannot change")
    if "clustering_policy" in changed and have.get("clustering_policy") != "NoCluster":
        raise AzureInputError(f"clustering_policy: {have.get('clustering_policy')} cannot change to {changed['clustering_policy']} "
                              "without deleting the database (only NoCluster can be updated)")
    if not changed:
        return []
    return [Child(f"update database {DATABASE} of {rid.name}", "PATCH", rid.child("databases", DATABASE),
                  {"properties": {DATABASE_FIELDS[key]: value for key, value in changed.items()}}, API)]


def plan_managed_redis(existing: dict | None, database: dict | None, params: dict, rid: ResourceId) -> Plan:
    """Create (PUT cluster, then PUT its database), or a PATCH of the options given that differ (the cluster's PUT would
    recreate it), then a PATCH of the database's; or nothing."""
    if existing is None and not params.get("location"):
        raise AzureInputError(f"Azure Managed Redis {params['name']!r} does not exist: location is needed to create it")
    if existing is None and not params.get("sku_name"):
        raise AzureInputError(f"Azure Managed Redis {params['name']!r} does not exist: sku_name is needed to create it (e.g. Balanced_B5)")
    if existing and params.get("location") and not same_location(existing["location"], params["location"]):
        raise AzureInputError(f"Azure Managed Redis {params['name']!r} is in {existing['location']}; Azure cannot move it to {params['location']}")
    have = cluster_view(existing)
    given = {key: params[key] for key in CLUSTER_FIELDS if params.get(key) is not None}
    old_tags = dict((existing or {}).get("tags") or {})
    tags = merge_tags(old_tags, params.get("tags"), params.get("purge_tags", True))
    before, after = {}, {}
    if existing is None:
        wanted = dict(CLUSTER_DEFAULTS, **given)
        after.update(given, **({"tags": tags} if params.get("tags") is not None else {}))
        children = _database_plan(None, params, rid, before, after)
        props = {path[1]: wanted[key] for key, path in CLUSTER_FIELDS.items() if key in wanted and path[0] == "properties"}
        body = {"location": params["location"], "tags": tags, "sku": {"name": wanted["sku_name"]}, "properties": props}
        return Plan("create", body, {}, after, children)
    patch = {}
    for key, value in given.items():
        before[key], after[key] = have.get(key), value
        if have.get(key) != value:
            path = CLUSTER_FIELDS[key]
            patch = deep_merge(patch, {path[0]: {path[1]: value}})
    if params.get("tags") is not None:
        before["tags"], after["tags"] = old_tags, tags
        if tags != old_tags:
            patch["tags"] = tags
    children = _database_plan(database, params, rid, before, after)
    return Plan("patch" if patch else "none", patch or None, before, after, children)


class ManagedRedis(Resource):
    what = "Azure Managed Redis"
    result_key = "managed_redis"
    api = API
    provider_type = CLUSTER_TYPE

    def validate(self):
        self.params["tags"] = validate_tags(self.params.get("tags"))
        validate_managed_redis(self.params)

    def view(self, doc):
        return cluster_view(doc)

    def read_related(self, rid, existing):
        doc = self.module.get_or_none(f"get database {DATABASE} of {rid.name}", API.get, self.module, rid.child("databases", DATABASE))
        return {"database": doc}

    def plan(self, existing, related):
        return plan_managed_redis(existing, related.get("database"), self.params, self.resource_id())

    def predict_related(self, related, plan):
        database = related.get("database")
        for child in plan.children:
            old = database or {"id": str(child.resource_id), "name": DATABASE, "properties": {}}
            database = dict(old, properties=dict(old.get("properties") or {}, **child.body["properties"]))
        return {"database": database}

    def result(self, doc, related):
        return {self.result_key: cluster_view(doc) if doc else {}, "database": database_view(related.get("database")) if doc else {}}
