"""Microsoft.Cache: Azure Managed Redis (redisEnterprise clusters and their databases).

Sources (docs/emulator.md lists each rule with its source; the status codes of the refusals are unverified):
- REST spec Microsoft.Cache RedisEnterprise stable 2025-07-01 (redisenterprise.json, vendored as an excerpt under
  specs/Microsoft.Cache/2025-07-01/): cluster and database names (ClusterNameParameter, DatabaseNameParameter: 1-60
  letters, digits and single hyphens), the SKU list, publicNetworkAccess required on create, highAvailability
  "Enabled by default", TLS 1.0 and 1.1 "completely obsolete -- you cannot use them", database defaults (clientProtocol
  Encrypted, clusteringPolicy OSSCluster, evictionPolicy VolatileLRU, accessKeysAuthentication Disabled), port
  "specified at create time", clusteringPolicy updatable "only if the current value is NoCluster"; every PUT, PATCH
  and DELETE is a long-running operation.
- learn.microsoft.com/azure/redis/migrate/migrate-basic-standard-premium-understand: host name suffix
  <region>.redis.azure.net, TLS port 10000, Redis version 7.4.
- terraform-provider-azurerm, website/docs/r/managed_redis*.html.markdown: the database name "Currently the acceptable
  value ... is `default`".
"""
from __future__ import annotations

import re

from ..errors import ArmError
from ..state import new_etag
from .base import Context, Ref, TopLevelType, refuse_reserved_name, require_dict

NS = "Microsoft.Cache"
CLUSTER_TYPE = f"{NS}/redisEnterprise"
NAME_PATTERN = re.compile(r"^(?=.{1,60}$)[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
NAME_RULE = ("Name must be 1-60 characters long. Allowed characters(A-Z, a-z, 0-9) and hyphen(-). There can be no "
             "leading nor trailing nor consecutive hyphens")
# The spec's SkuName enum (modelAsString: an SDK accepts other strings; the service has no other SKUs to create).
SKUS = tuple(
    [f"Enterprise_E{n}" for n in (1, 5, 10, 20, 50, 100, 200, 400)] + [f"EnterpriseFlash_F{n}" for n in (300, 700, 1500)]
    + [f"Balanced_B{n}" for n in (0, 1, 3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700, 1000)]
    + [f"MemoryOptimized_M{n}" for n in (10, 20, 50, 100, 150, 250, 350, 500, 700, 1000, 1500, 2000)]
    + [f"ComputeOptimized_X{n}" for n in (3, 5, 10, 20, 50, 100, 150, 250, 350, 500, 700)]
    + [f"FlashOptimized_A{n}" for n in (250, 500, 700, 1000, 1500, 2000, 4500)])
TLS_ALLOWED = ("1.2",)
DATABASE_DEFAULTS = {"clientProtocol": "Encrypted", "port": 10000, "clusteringPolicy": "OSSCluster",
                     "evictionPolicy": "VolatileLRU", "accessKeysAuthentication": "Disabled", "deferUpgrade": "NotDeferred"}
REDIS_VERSION = "7.4"
# The spec's enums are extensible (modelAsString) for SDKs; the service knows only the published values.
CLUSTER_ENUMS = {"highAvailability": ("Enabled", "Disabled"), "publicNetworkAccess": ("Enabled", "Disabled")}
DATABASE_ENUMS = {"clientProtocol": ("Encrypted", "Plaintext"), "clusteringPolicy": ("EnterpriseCluster", "OSSCluster", "NoCluster"),
                  "evictionPolicy": ("AllKeysLFU", "AllKeysLRU", "AllKeysRandom", "VolatileLRU", "VolatileLFU", "VolatileTTL",
                                     "VolatileRandom", "NoEviction"),
                  "accessKeysAuthentication": ("Disabled", "Enabled"), "deferUpgrade": ("Deferred", "NotDeferred")}


def _bad(message: str, code: str = "BadRequest") -> ArmError:
    return ArmError(400, code, message)   # code unverified (docs/emulator.md)


def _check_enums(props: dict, enums: dict) -> None:
    for key, allowed in enums.items():
        if key in props and props[key] is not None and props[key] not in allowed:
            raise _bad(f"properties.{key} '{props[key]}' is not one of {', '.join(allowed)}.")


class Clusters(TopLevelType):
    namespace, types = NS, ("redisEnterprise",)
    lro_patch = True
    name_pattern, name_rule = NAME_PATTERN, NAME_RULE
    top_level_keys = ("sku", "zones", "identity")

    def validate_name(self, name: str, pattern=None, rule=None) -> None:
        super().validate_name(name, pattern, rule)
        refuse_reserved_name(name)   # its own DNS name

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        sku = require_dict(body.get("sku"), "sku")
        if sku.get("name") not in SKUS:
            raise _bad(f"The SKU '{sku.get('name')}' is not valid. Valid SKUs: {', '.join(SKUS)}.")
        props = dict(require_dict(body.get("properties"), "properties"))
        _check_enums(props, CLUSTER_ENUMS)
        if existing is None and props.get("publicNetworkAccess") not in ("Enabled", "Disabled"):
            raise _bad("properties.publicNetworkAccess is required to create a cluster: Enabled or Disabled.")
        tls = props.get("minimumTlsVersion", "1.2")
        if tls not in TLS_ALLOWED:
            raise _bad(f"minimumTlsVersion '{tls}' cannot be used: TLS 1.0 and 1.1 are obsolete; use 1.2.")
        old = (existing or {}).get("properties", {})
        host = old.get("hostName") or f"{ref.name.lower()}.{location.replace(' ', '').lower()}.redis.azure.net"
        out = dict({"highAvailability": "Enabled"}, **old)   # "Enabled by default"
        out.update(props)
        out.update(minimumTlsVersion=tls, hostName=host, redisVersion=REDIS_VERSION, resourceState="Running",
                   provisioningState="Succeeded", privateEndpointConnections=old.get("privateEndpointConnections", []))
        return out

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # RedisEnterprise_Update: sku, properties, identity, tags
        doc = self.get(ctx, ref)
        merged = {"sku": body.get("sku") or doc.get("sku"),
                  "properties": dict(doc["properties"], **require_dict(body.get("properties"), "properties"))}
        doc["properties"] = self.build_properties(ctx, ref, merged, doc, doc["location"])
        doc["sku"] = merged["sku"]
        if "identity" in body:
            doc["identity"] = body["identity"]
        return super().patch(ctx, ref, body)


class Databases(TopLevelType):
    """A cluster's database, stored as its own document (a proxy resource: no location, no tags)."""

    namespace, types = NS, ("redisEnterprise", "databases")
    lro_patch = True
    name_pattern, name_rule = NAME_PATTERN, NAME_RULE

    def _cluster(self, ctx: Context, ref: Ref) -> dict:
        return ctx.handler(CLUSTER_TYPE).get(ctx, ref.parent())

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        self._cluster(ctx, ref)
        return ctx.state.get(ref.id)

    def validate_name(self, name: str) -> None:
        super().validate_name(name)
        if name != "default":
            # Azure's answer, quoted in Azure/bicep-registry-modules#6868 (docs/emulator.md)
            raise ArmError(400, "BadRequest", "You can currently only create or update a single RedisEnterprise database which "
                           "must be named 'default'.")

    def _properties(self, ref: Ref, props: dict, old: dict | None) -> dict:
        _check_enums(props, DATABASE_ENUMS)
        if old is not None:
            if "port" in props and props["port"] != old.get("port"):
                raise _bad(f"Database {ref.name}: port is set at create time ({old.get('port')}) and cannot change.")
            policy = props.get("clusteringPolicy")
            if policy and policy != old["clusteringPolicy"] and old["clusteringPolicy"] != "NoCluster":
                raise _bad(f"Database {ref.name}: clusteringPolicy {old['clusteringPolicy']} cannot be updated without "
                           "deleting the database (only NoCluster can change).")
        merged = {**DATABASE_DEFAULTS, **(old or {}), **props}
        return dict(merged, redisVersion=REDIS_VERSION, resourceState="Running", provisioningState="Succeeded")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        existing = self.find(ctx, ref)
        props = require_dict(body.get("properties"), "properties")
        doc = {"id": ref.id, "name": ref.name, "type": self.type_name, "etag": new_etag(self.weak_etag),
               "properties": self._properties(ref, props, (existing or {}).get("properties"))}
        ctx.state.put(doc)
        return doc, existing is None

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # Databases_Update: properties only
        doc = self.get(ctx, ref)
        doc["properties"] = self._properties(ref, require_dict(body.get("properties"), "properties"), doc["properties"])
        doc["etag"] = new_etag(self.weak_etag)
        ctx.state.put(doc)
        return doc


TYPES = [Clusters(), Databases()]
