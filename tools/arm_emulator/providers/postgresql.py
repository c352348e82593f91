"""Microsoft.DBforPostgreSQL: flexible servers with databases and configurations (server parameters).

VNet integration is validated as Azure does before a server is created: the delegated subnet must
exist and carry the Microsoft.DBforPostgreSQL/flexibleServers delegation, and the private DNS zone
must exist. A server is backed by a local PostgreSQL when <state-dir>/local-postgres.json names one
(postgres_backing.py): its administrator becomes a role there and its databases real databases. Its
fullyQualifiedDomainName stays Azure-shaped; `emulatorLocalEndpoint` (emulator only) tells a client
where to connect (libpq hostaddr + port, host kept as the FQDN).
"""
from __future__ import annotations

import re
import time

from .. import arm, postgres_backing as local_backing, postgres_cmk
from ..errors import ArmError, invalid_request
from ..state import new_etag
from .base import Context, Ref, ResourceType, TopLevelType, public, refuse_reserved_name, require_dict
from .network import mark_subnet_in_use, same_location

NS = "Microsoft.DBforPostgreSQL"
SERVER_TYPE = f"{NS}/flexibleServers"
DELEGATION = "microsoft.dbforpostgresql/flexibleservers"
FQDN_SUFFIX = "postgres.database.azure.com"
SERVER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
VERSIONS = ("12", "13", "14", "15", "16", "17")
TIERS = {"Burstable": "Standard_B", "GeneralPurpose": "Standard_D", "MemoryOptimized": "Standard_E"}
STORAGE_GB = (32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767)
RESERVED_LOGINS = {"azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public"}
HA_MODES = ("Disabled", "ZoneRedundant", "SameZone")

# name -> (default, dataType, allowed values or None, dynamic?)
PARAMETERS = {
    "require_secure_transport": ("on", "Boolean", "on,off", True),
    "ssl_min_protocol_version": ("TLSv1.2", "Enumeration", "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", True),
    "azure.extensions": ("", "Set", None, True),
    "shared_preload_libraries": ("pg_cron,pg_stat_statements", "Set", None, False),
    "pgaudit.log": ("none", "Set", "none,read,write,function,role,ddl,misc,misc_set,all", True),
    "pgaudit.log_catalog": ("on", "Boolean", "on,off", True),
    "pgaudit.log_client": ("off", "Boolean", "on,off", True),
    "pgaudit.log_parameter": ("off", "Boolean", "on,off", True),
    "pgaudit.log_relation": ("off", "Boolean", "on,off", True),
    "pgaudit.log_statement_once": ("off", "Boolean", "on,off", True),
    "pgaudit.role": ("", "String", None, True),
    "log_connections": ("on", "Boolean", "on,off", True),
    "log_disconnections": ("off", "Boolean", "on,off", True),
    "log_min_duration_statement": ("-1", "Integer", None, True),
    "max_connections": ("50", "Integer", None, False),
    "timezone": ("UTC", "String", None, True),
}
EXTENSIONS = ("pgaudit", "pg_stat_statements", "pgcrypto", "uuid-ossp", "pg_trgm", "btree_gist", "btree_gin",
              "citext", "hstore", "pg_cron", "postgis", "vector", "pg_partman", "tablefunc", "unaccent")
PRELOAD = ("pgaudit", "pg_cron", "pg_stat_statements", "pg_partman_bgw", "auto_explain", "pg_hint_plan", "timescaledb")


def check_server_busy(ctx: Context, ref: Ref) -> None:
    """One operation per server at a time: a write on the server or a child of it while another runs is
    refused. Code and message as Azure answers (Azure/azure-postgresql#134: ServerIsBusy; the status
    409 is unverified); terraform-provider-azurerm locks per server for this (PR #18159, #27355)."""
    server = ref if len(ref.types) == 1 else Ref(ref.subscription, ref.resource_group, ref.namespace, ref.types[:1], ref.names[:1])
    prefix = server.id.lower()
    for op in ctx.state.operations.values():
        if op["status"] == "InProgress" and any(rid.lower() == prefix or rid.lower().startswith(prefix + "/") for rid in op["resource_ids"]):
            raise ArmError(409, "ServerIsBusy", f"Cannot complete operation while server '{server.name}' is busy processing "
                                                "another operation. Try again later.")


def _canon(value, allowed: tuple[str, ...], what: str) -> str:
    for item in allowed:
        if str(value).lower() == item.lower():
            return item
    raise invalid_request(f"The value '{value}' of {what} is invalid; allowed values: {', '.join(allowed)}.",
                          code="InvalidParameterValue")


def _check_password(login: str, password) -> None:
    """An administrator password as Azure's rules have it: 8-128 characters, three of the four categories, and not
    "all or part of the login name. Part of a login name is defined as three or more consecutive alphanumeric
    characters" (the portal's rule, quoted in Azure/reliable-web-app-pattern-java#98 and
    microsoft/MCW-Continuous-delivery-in-Azure-DevOps#57). The codes: Learn's how-to-troubleshoot-cli-errors. Compared
    without case (unverified: the stricter reading). There Azure accepted the create and its operation failed minutes
    later with InternalServerError; the emulator refuses at once (docs/emulator.md)."""
    if not isinstance(password, str) or not 8 <= len(password) <= 128:
        raise invalid_request("administratorLoginPassword must have 8-128 characters.", code="PasswordTooShort")
    classes = sum(bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]"))
    lowered = password.lower()
    runs = [r.lower() for r in re.findall(r"[A-Za-z0-9]{3,}", login)]
    holds_part = (login and login.lower() in lowered) or any(r[i:i + 3] in lowered for r in runs for i in range(len(r) - 2))
    if classes < 3 or holds_part:
        raise invalid_request("The password does not meet the complexity requirements: it must contain characters "
                              "from three of the categories upper-case letters, lower-case letters, digits and "
                              "non-alphanumeric characters, and must not contain all or part of the login name (three "
                              "or more consecutive alphanumeric characters of it).", code="PasswordNotComplex")


class FlexibleServers(TopLevelType):
    check_busy = staticmethod(check_server_busy)
    namespace = NS
    types = ("flexibleServers",)
    lro_patch = True
    always_async = True  # the RP answers every write with 202 Accepted + Azure-AsyncOperation
    top_level_keys = ("sku",)

    def validate_name(self, name: str) -> None:
        if not SERVER_NAME.match(name):   # Azure's code and message (MicrosoftDocs/azure-docs#106980, 400)
            raise ArmError(400, "InvalidParameterValue", "Invalid value given for parameter serverName. Specify a valid "
                           "parameter value.")

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        refuse_reserved_name(ref.name)   # its own DNS name
        existing = self.find(ctx, ref)
        if existing is None and any(s["name"].lower() == ref.name.lower() for s in ctx.state.resources.values()
                                    if s.get("type", "").lower() == SERVER_TYPE.lower()):
            raise ArmError(409, "ServerNameAlreadyExists", f"Specified server name '{ref.name}' is already used.")
        self._check_sku(body.get("sku"))
        postgres_cmk.refuse_if_inaccessible(ctx, existing, body)
        identity = postgres_cmk.check_identity(ctx, body.get("identity"))   # data encryption with a customer key
        doc, created = super().put(ctx, ref, dict(body, _identity=identity))
        if identity is not None:
            doc["identity"] = identity
        props = doc["properties"]
        password = props.pop("_password", None)
        if created:
            doc["_databases"] = []
            doc["_configurations"] = {}
            subnet = props["network"].get("delegatedSubnetResourceId")
            if subnet:
                mark_subnet_in_use(ctx, subnet, doc["id"])
            doc["_backing"] = local_backing.create_server(ctx, props["administratorLogin"], password, server_id=doc["id"])
            for name in ("postgres", "azure_maintenance", "azure_sys"):
                self._add_database(doc, name, builtin=True)
        elif password:
            local_backing.set_password(ctx, props["administratorLogin"], password, backing=doc.get("_backing"))
        return doc, created

    @staticmethod
    def _check_sku(sku) -> None:
        sku = require_dict(sku, "sku")
        tier = _canon(sku.get("tier"), tuple(TIERS), "sku.tier")
        name = str(sku.get("name", ""))
        if not name.startswith(TIERS[tier]):
            raise invalid_request(f"The sku name '{name}' is not available in tier '{tier}' (expected a "
                                  f"{TIERS[tier]}... size).", code="InvalidSkuName")

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        if existing:
            return self._update(ctx, existing, props, require_dict(body.get("sku"), "sku"), body.get("_identity"))
        login = str(props.get("administratorLogin") or "")
        password = props.get("administratorLoginPassword")
        self._check_login(ctx, login)
        _check_password(login, password)
        version = str(props.get("version", "16"))
        if version not in VERSIONS:   # Azure's code and message (microsoft/aspire#2391, hashicorp/terraform#33182)
            raise invalid_request(f"The value of the 'Version' should be in: [{','.join(VERSIONS)}]. Verify that the "
                                  "specified parameter value is correct.", code="ParameterOutOfRange")
        storage = self._storage(require_dict(props.get("storage"), "properties.storage"), None)
        backup = require_dict(props.get("backup"), "properties.backup")
        days = int(backup.get("backupRetentionDays", 7))
        if not 7 <= days <= 35:
            raise invalid_request(f"backupRetentionDays {days} is out of range 7-35.", code="InvalidBackupRetentionDays")
        network = self._network(ctx, require_dict(props.get("network"), "properties.network"), location)
        ha = self._ha(require_dict(props.get("highAvailability"), "properties.highAvailability"),
                      require_dict(body.get("sku"), "sku"))
        result = {
            "administratorLogin": login,
            "_password": password,
            "version": version,
            "minorVersion": {"12": "22", "13": "18", "14": "15", "15": "10", "16": "6", "17": "2"}[version],
            "state": "Ready",
            "fullyQualifiedDomainName": f"{ref.name}.{FQDN_SUFFIX}",
            "storage": storage,
            "authConfig": {"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled"},
            "dataEncryption": postgres_cmk.build(ctx, props.get("dataEncryption"), body.get("_identity"), location,
                                                 str(backup.get("geoRedundantBackup", "")).lower() == "enabled", None),
            "backup": {"backupRetentionDays": days,
                       "geoRedundantBackup": _canon(backup.get("geoRedundantBackup", "Disabled"), ("Enabled", "Disabled"),
                                                    "backup.geoRedundantBackup"),
                       "earliestRestoreDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "network": network,
            "highAvailability": ha,
            "availabilityZone": str(props.get("availabilityZone") or "1"),
            "replicationRole": "Primary",
            "replicaCapacity": 5,
            "provisioningState": "Succeeded",
        }
        return result

    @staticmethod
    def _check_login(ctx: Context, login: str) -> None:
        bootstrap = local_backing.bootstrap_login(ctx)
        if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]{0,62}$", login) or login.lower() in RESERVED_LOGINS \
                or login.lower().startswith("pg_") or (bootstrap and login.lower() == bootstrap.lower()):
            raise invalid_request(f"The administrator login '{login}' is not valid: use 1-63 letters, digits and "
                                  "underscores, not starting with pg_ and not a reserved name "
                                  f"({', '.join(sorted(RESERVED_LOGINS))}).", code="InvalidAdministratorLogin")

    @staticmethod
    def _storage(storage: dict, old: dict | None) -> dict:
        size = int(storage.get("storageSizeGB", (old or {}).get("storageSizeGB", 32)))
        if size not in STORAGE_GB:
            raise invalid_request(f"storageSizeGB {size} is not a valid size; valid: {list(STORAGE_GB)}.",
                                  code="InvalidStorageSize")
        if old and size < old["storageSizeGB"]:
            raise invalid_request(f"The storage size cannot be reduced (from {old['storageSizeGB']} GB to {size} GB).",
                                  code="StorageSizeDecreaseNotSupported")
        tier = {32: "P4", 64: "P6", 128: "P10", 256: "P15", 512: "P20", 1024: "P30", 2048: "P40"}.get(size, "P50")
        return {"storageSizeGB": size, "autoGrow": storage.get("autoGrow", (old or {}).get("autoGrow", "Disabled")),
                "tier": tier, "iops": {"P4": 120, "P6": 240, "P10": 500, "P15": 1100, "P20": 2300}.get(tier, 5000),
                "type": ""}

    @staticmethod
    def _network(ctx: Context, network: dict, location: str) -> dict:
        subnet_id = str(network.get("delegatedSubnetResourceId") or "")
        zone_id = str(network.get("privateDnsZoneArmResourceId") or "")
        if not subnet_id:
            if zone_id:
                raise invalid_request("privateDnsZoneArmResourceId requires delegatedSubnetResourceId.",
                                      code="InvalidNetworkConfiguration")
            return {"publicNetworkAccess": "Enabled"}
        subnet = ctx.find(subnet_id)
        if subnet is None or subnet.get("type", "").lower() != "microsoft.network/virtualnetworks/subnets":
            raise invalid_request(f"The subnet '{subnet_id}' was not found.", code="SubnetNotFound")
        vnet = ctx.find(subnet_id.rsplit("/subnets/", 1)[0])
        if vnet and vnet["location"].replace(" ", "").lower() != location.replace(" ", "").lower():
            raise invalid_request(f"The virtual network of subnet '{subnet_id}' is in {vnet['location']}, not in the "
                                  f"server's location {location}.", code="VirtualNetworkInDifferentRegion")
        services = [d["properties"]["serviceName"].lower() for d in subnet["properties"].get("delegations", [])]
        if DELEGATION not in services:
            raise invalid_request(f"The subnet '{subnet_id}' is not delegated to Microsoft.DBforPostgreSQL/flexibleServers"
                                  f" (its delegations: {services or 'none'}). Delegate the subnet to "
                                  "Microsoft.DBforPostgreSQL/flexibleServers before creating the server.",
                                  code="SubnetNotDelegatedToFlexibleServer")
        if str(network.get("publicNetworkAccess", "Disabled")).lower() == "enabled":
            # Azure's answer, seen by crossplane-contrib/provider-upjet-azure#985 and claranet/terraform-azurerm-db-postgresql-flexible#7.
            raise invalid_request("Conflicting configuration is detected between Public Network Access and Virtual Network "
                                  "arguments. Public Network Access is not supported along with Virtual Network feature.",
                                  code="ConflictingPublicNetworkAccessAndVirtualNetworkConfiguration")
        if not zone_id:   # Azure's code and message (aztfmod/terraform-azurerm-caf#1930, Azure-Samples/msdocs-python-django-azure-container-apps#11)
            raise invalid_request("Parameter 'PrivateDnsZoneArmResourceId' must be specified. This parameter cannot be NULL "
                                  "or empty.", code="MissingRequiredParameter")
        zone = ctx.find(zone_id)
        if zone is None or zone.get("type", "").lower() != "microsoft.network/privatednszones":
            raise invalid_request(f"The private DNS zone '{zone_id}' was not found.", code="PrivateDnsZoneNotFound")
        if not zone["name"].lower().endswith("." + FQDN_SUFFIX):
            # Accepted, then the operation fails (terraform-provider-azurerm#24549: "fails after 60 seconds with
            # PrivateDnsZoneNameNotValid"); the message wording is unverified.
            ctx.failure = {"code": "PrivateDnsZoneNameNotValid", "status": 400,
                           "message": f"The private DNS zone name '{zone['name']}' is not valid: it must end with {FQDN_SUFFIX}."}
        return {"publicNetworkAccess": "Disabled", "delegatedSubnetResourceId": subnet["id"],
                "privateDnsZoneArmResourceId": zone["id"]}

    @staticmethod
    def _ha(ha: dict, sku: dict) -> dict:
        mode = _canon(ha.get("mode", "Disabled"), HA_MODES, "highAvailability.mode")
        if mode != "Disabled" and str(sku.get("tier", "")).lower() == "burstable":
            raise invalid_request("High availability is not supported for the Burstable tier.",
                                  code="HighAvailabilityNotSupportedForBurstable")
        result = {"mode": mode, "state": "Healthy" if mode != "Disabled" else "NotEnabled"}
        if mode != "Disabled":
            result["standbyAvailabilityZone"] = str(ha.get("standbyAvailabilityZone") or "2")
        return result

    def _update(self, ctx: Context, existing: dict, props: dict, sku: dict, identity: dict | None = None) -> dict:
        """A PUT or PATCH on an existing server: only mutable properties change."""
        old = existing["properties"]
        result = dict(old)
        if "dataEncryption" in props:   # a key rotation or another identity (postgres_cmk.py: the mode never changes)
            result["dataEncryption"] = postgres_cmk.build(
                ctx, require_dict(props["dataEncryption"], "properties.dataEncryption"),
                identity if identity is not None else existing.get("identity"), existing["location"],
                old["backup"]["geoRedundantBackup"] == "Enabled", old.get("dataEncryption") or {"type": "SystemManaged"})
        if "administratorLoginPassword" in props:   # a new password: the same rules as a create's
            _check_password(str(old.get("administratorLogin") or ""), props["administratorLoginPassword"])
            result["_password"] = props["administratorLoginPassword"]
        if props.get("version") and str(props["version"]) != old["version"]:
            raise invalid_request("Changing the major version needs a major version upgrade (not emulated).",
                                  code="MajorVersionUpgradeNotSupported")
        if "storage" in props:
            result["storage"] = self._storage(require_dict(props["storage"], "properties.storage"), old["storage"])
        if "backup" in props:
            backup = require_dict(props["backup"], "properties.backup")
            geo = backup.get("geoRedundantBackup", old["backup"]["geoRedundantBackup"])
            if str(geo).lower() != old["backup"]["geoRedundantBackup"].lower():
                raise invalid_request("geoRedundantBackup can only be set when the server is created.",
                                      code="GeoRedundantBackupCannotBeChanged")
            days = int(backup.get("backupRetentionDays", old["backup"]["backupRetentionDays"]))
            if not 7 <= days <= 35:
                raise invalid_request(f"backupRetentionDays {days} is out of range 7-35.", code="InvalidBackupRetentionDays")
            result["backup"] = dict(old["backup"], backupRetentionDays=days)
        if "highAvailability" in props:
            result["highAvailability"] = self._ha(require_dict(props["highAvailability"], "properties.highAvailability"),
                                                  sku or existing.get("sku", {}))
        network = props.get("network") or {}
        if network.get("delegatedSubnetResourceId") and \
                network["delegatedSubnetResourceId"].lower() != str(old["network"].get("delegatedSubnetResourceId", "")).lower():
            raise invalid_request("The delegated subnet of an existing server cannot be changed.",
                                  code="NetworkChangeNotSupported")
        return result

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        doc = self.get(ctx, ref)
        postgres_cmk.refuse_if_inaccessible(ctx, doc, body)
        identity = postgres_cmk.check_identity(ctx, body["identity"]) if body.get("identity") else None
        if body.get("sku"):
            self._check_sku(body["sku"])
            doc["sku"] = dict(body["sku"])
        props = self._update(ctx, doc, require_dict(body.get("properties"), "properties"), doc.get("sku", {}), identity)
        if identity is not None:
            doc["identity"] = identity
        password = props.pop("_password", None)
        if password:
            local_backing.set_password(ctx, doc["properties"]["administratorLogin"], password, backing=doc.get("_backing"))
        doc["properties"] = props
        if "tags" in body:
            doc["tags"] = dict(body["tags"] or {})
        doc["etag"] = new_etag(True)
        return doc

    def render(self, ctx: Context, doc: dict) -> dict:
        view = public(doc)
        postgres_cmk.render(ctx, doc, view)   # Inaccessible while the customer-managed key cannot be used
        endpoint = local_backing.endpoint(ctx, doc.get("_backing"))
        if endpoint:
            view["properties"]["emulatorLocalEndpoint"] = endpoint
        return view

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        doc = self.find(ctx, ref)
        if doc is None:
            return None
        subnet = doc["properties"]["network"].get("delegatedSubnetResourceId")
        if subnet and ctx.find(subnet) is not None:
            mark_subnet_in_use(ctx, subnet, doc["id"], in_use=False)
        if doc.get("_backing"):
            local_backing.drop_server(ctx, doc["properties"]["administratorLogin"],
                                      [d["name"] for d in doc["_databases"] if not d.get("builtin")], backing=doc["_backing"])
        return [doc["id"]]

    def post(self, ctx: Context, ref: Ref, action: str, body: dict) -> tuple[int, object]:
        doc = self.get(ctx, ref)
        if action.lower() == "restart":
            for config in doc["_configurations"].values():
                config["isConfigPendingRestart"] = False
            return arm.start_lro(ctx, self, ref, "put", doc)
        if action.lower() in ("start", "stop"):
            doc["properties"]["state"] = "Ready" if action.lower() == "start" else "Stopped"
            return arm.start_lro(ctx, self, ref, "put", doc)
        return super().post(ctx, ref, action, body)

    @staticmethod
    def _add_database(doc: dict, name: str, builtin: bool = False, charset: str = "UTF8",
                      collation: str = "en_US.utf8") -> dict:
        db = {"id": f"{doc['id']}/databases/{name}", "name": name, "type": f"{SERVER_TYPE}/databases",
              "properties": {"charset": charset, "collation": collation, "provisioningState": "Succeeded"}}
        if builtin:
            db["builtin"] = True
        doc["_databases"].append(db)
        return db


class _ServerChild(TopLevelType):
    """Children kept in private lists of the server document (not as separate state entries)."""

    namespace = NS
    always_async = True
    check_busy = staticmethod(check_server_busy)

    def server(self, ctx: Context, ref: Ref) -> dict:
        return ctx.handler(SERVER_TYPE).get(ctx, ref.parent())

    def get(self, ctx: Context, ref: Ref) -> dict:
        doc = self.find(ctx, ref)
        if doc is None:
            raise self.not_found(ref)
        return doc


class Databases(_ServerChild):
    types = ("flexibleServers", "databases")
    lro_delete = True

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        server = self.server(ctx, ref)
        return next((d for d in server["_databases"] if d["name"].lower() == ref.name.lower()), None)

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        return list(ctx.handler(SERVER_TYPE).get(ctx, ref.parent())["_databases"])

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        server = self.server(ctx, ref)
        if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$", ref.name):
            raise invalid_request(f"The database name '{ref.name}' is invalid.", code="InvalidDatabaseName")
        props = require_dict(body.get("properties"), "properties")
        existing = self.find(ctx, ref)
        if existing and (existing.get("properties") or {}).get("provisioningState") == "Failed":
            server["_databases"] = [d for d in server["_databases"] if d is not existing]   # a create that failed: made again
            existing = None
        if existing:
            for key in ("charset", "collation"):
                if props.get(key) and str(props[key]).lower() != existing["properties"][key].lower():
                    raise invalid_request(f"The {key} of an existing database cannot be changed.",
                                          code="DatabaseCharsetOrCollationCannotBeChanged")
            return existing, False
        postgres_cmk.refuse_if_inaccessible(ctx, server)
        db = FlexibleServers._add_database(server, ref.name, charset=props.get("charset") or "UTF8",
                                           collation=props.get("collation") or "en_US.utf8")
        if server.get("_backing"):   # made during the create's operation (always 202 here, as in Azure)
            local_backing.start_create_database(ctx, server["properties"]["administratorLogin"], ref.name, db["id"],
                                                backing=server["_backing"])
        return db, True

    def render(self, ctx: Context, doc: dict) -> dict:
        return {k: v for k, v in public(doc).items() if k != "builtin"}

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        server = self.server(ctx, ref)
        db = self.find(ctx, ref)
        if db is None:
            return None
        if db.get("builtin"):
            raise invalid_request(f"The system database '{db['name']}' cannot be deleted.", code="CannotDropSystemDatabase")
        if server.get("_backing"):
            local_backing.drop_database(ctx, db["name"], backing=server["_backing"])
        return [db["id"]]  # the state finds and removes it inside the server document


class Configurations(_ServerChild):
    types = ("flexibleServers", "configurations")
    lro_patch = True

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        server = self.server(ctx, ref)
        key = ref.name.lower()
        if key not in PARAMETERS:
            return None
        return self._view(server, key)

    def not_found(self, ref: Ref) -> ArmError:
        return ArmError(404, "ConfigurationNotExists", f"The configuration '{ref.name}' does not exist for server "
                                                       f"'{ref.names[0]}'.")

    @staticmethod
    def _view(server: dict, key: str) -> dict:
        default, data_type, allowed, dynamic = PARAMETERS[key]
        stored = server["_configurations"].get(key, {})
        value = stored.get("value", default)
        props = {"value": value, "description": f"Server parameter {key}.", "defaultValue": default,
                 "dataType": data_type, "source": "user-override" if "value" in stored else "system-default",
                 "isDynamicConfig": dynamic, "isReadOnly": False,
                 "isConfigPendingRestart": bool(stored.get("isConfigPendingRestart")), "unit": "",
                 "documentationLink": "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-server-parameters"}
        if key == "azure.extensions":
            props["allowedValues"] = ",".join(EXTENSIONS)
        elif key == "shared_preload_libraries":
            props["allowedValues"] = ",".join(PRELOAD)
        elif allowed:
            props["allowedValues"] = allowed
        return {"id": f"{server['id']}/configurations/{key}", "name": key, "type": f"{SERVER_TYPE}/configurations",
                "properties": props}

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        server = ctx.handler(SERVER_TYPE).get(ctx, ref.parent())
        return [self._view(server, key) for key in PARAMETERS]

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        server = self.server(ctx, ref)
        key = ref.name.lower()
        if key not in PARAMETERS:
            raise self.not_found(ref)
        value = str(require_dict(body.get("properties"), "properties").get("value", ""))
        self._check_value(key, value)
        stored = server["_configurations"].setdefault(key, {})
        if not PARAMETERS[key][3] and stored.get("value", PARAMETERS[key][0]) != value:
            stored["isConfigPendingRestart"] = True  # a static parameter: applied at the next restart
        stored["value"] = value
        if server.get("_backing"):
            local_backing.start_apply_parameter(ctx, key, value, f"{server['id']}/configurations/{ref.name}",
                                                backing=server["_backing"])
        return self._view(server, key), False

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        return self.put(ctx, ref, body)[0]

    @staticmethod
    def _check_value(key: str, value: str) -> None:
        default, data_type, allowed, _dynamic = PARAMETERS[key]
        del default
        choices = {"azure.extensions": EXTENSIONS, "shared_preload_libraries": PRELOAD}.get(key)
        if choices is None and data_type in ("Set",) and allowed:
            choices = tuple(allowed.split(","))
        if choices is not None:
            bad = [v for v in (x.strip() for x in value.split(",")) if v and v.lower() not in [c.lower() for c in choices]]
            if bad:
                raise invalid_request(f"The value '{value}' for configuration '{key}' is not valid: {bad} not in the "
                                      f"allowed values {','.join(choices)}.", code="InvalidParameterValue")
        elif allowed and value.lower() not in [a.lower() for a in allowed.split(",")]:
            raise invalid_request(f"The value '{value}' for configuration '{key}' is not valid; allowed values: "
                                  f"{allowed}.", code="InvalidParameterValue")
        elif data_type == "Integer" and not re.match(r"^-?\d+$", value):
            raise invalid_request(f"The value '{value}' for configuration '{key}' must be an integer.",
                                  code="InvalidParameterValue")

    def delete_plan(self, ctx: Context, ref: Ref) -> list[str] | None:
        raise ArmError(405, "MethodNotAllowed", "Server parameters cannot be deleted; set them to their default.")


# What every location offers unless the capacity config withholds a size there (docs/emulator.md, "Capacity"):
# tier -> [(size, vCores, quota family)]. The Burstable sizes and their vCores are those of the REST spec's example
# (Microsoft.DBforPostgreSQL stable 2025-08-01, examples/CapabilitiesByLocationList.json); the D and E sizes are the
# emulator's choice of a few series. Family names follow the quota usages example (QuotaUsagesForFlexibleServers.json:
# standardBSFamily, standardDDSv4Family) and the Az.PostgreSqlFlexibleServer docs (standardDSv3Family); which family a
# size counts against is unverified.
CATALOG = {
    "Burstable": [(f"Standard_B{n}", v, "standardBSFamily") for n, v in
                  (("1ms", 1), ("2s", 2), ("2ms", 2), ("4ms", 4), ("8ms", 8), ("12ms", 12), ("16ms", 16), ("20ms", 20))],
    "GeneralPurpose": [(f"Standard_D{v}{series}", v, family) for series, family in
                       (("s_v3", "standardDSv3Family"), ("ds_v4", "standardDDSv4Family"), ("ds_v5", "standardDDSv5Family"))
                       for v in (2, 4, 8, 16, 32, 48, 64)],
    "MemoryOptimized": [(f"Standard_E{v}{series}", v, family) for series, family in
                        (("s_v3", "standardESv3Family"), ("ds_v4", "standardEDSv4Family"), ("ds_v5", "standardEDSv5Family"))
                        for v in (2, 4, 8, 16, 32, 48, 64)],
}
FEATURES = ("fastProvisioningSupported", "geoBackupSupported", "zoneRedundantHaSupported",
            "zoneRedundantHaAndGeoBackupSupported", "storageAutoGrowthSupported", "onlineResizeSupported")


def sku_info(name: str) -> tuple[int, str] | None:
    """(vCores, quota family) of a size the catalog knows."""
    return next(((v, family) for sizes in CATALOG.values() for size, v, family in sizes if size.lower() == str(name).lower()), None)


class Capabilities(ResourceType):
    """GET /subscriptions/{id}/providers/Microsoft.DBforPostgreSQL/locations/{location}/capabilities
    (CapabilitiesByLocation_List, REST spec stable 2025-08-01 openapi.json; the SDK's 2026-10-01 has the same path): one
    FlexibleServerCapabilities item shaped as the spec's example. A size the capacity config withholds in the location is
    left out of its tier's supportedServerSkus (whether Azure leaves it out or lists it with status Disabled: unverified)."""

    namespace = NS
    types = ("locations", "capabilities")

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        location = ref.names[0].replace(" ", "").lower()
        withheld = set(ctx.config.capacity_snapshot()["withheld_skus"].get(location, []))
        editions = []
        for tier, sizes in CATALOG.items():
            skus = [{"name": size, "vCores": v, "supportedZones": ["1", "2", "3"], "supportedHaMode": ["SameZone", "ZoneRedundant"],
                     "supportedFeatures": []} for size, v, _family in sizes if size.lower() not in withheld]
            editions.append({"name": tier, "defaultSkuName": skus[0]["name"] if skus else None, "supportedServerSkus": skus,
                             "supportedStorageEditions": [{"name": "ManagedDisk", "defaultStorageSizeMb": 32768,
                                                           "supportedStorageMb": [{"storageSizeMb": gb * 1024} for gb in STORAGE_GB]}]})
        versions = [{"name": v, "supportedVersionsToUpgrade": [later for later in VERSIONS if int(later) > int(v)]} for v in VERSIONS]
        capability = {"name": "FlexibleServerCapabilities", "supportedServerEditions": editions,
                      "supportedServerVersions": versions, "restricted": "Disabled", **{key: "Enabled" for key in FEATURES}}
        return [capability]


class QuotaUsages(ResourceType):
    """GET .../providers/Microsoft.DBforPostgreSQL/locations/{location}/resourceType/flexibleServers/usages (QuotaUsages_List,
    REST spec stable 2025-08-01 QuotaUsages.json): a "cores" row (the regional total, as in the Az.PostgreSqlFlexibleServer
    docs' example) and one row per family of the catalog, each with the vCores of the subscription's servers in the location
    (a high-availability standby is not counted: unverified) against the capacity config's limits."""

    namespace = NS
    types = ("locations", "resourceType", "usages")

    def list(self, ctx: Context, ref: Ref) -> list[dict]:
        location, limits = ref.names[0], ctx.config.capacity_snapshot()["limits"]
        used: dict[str, int] = {}
        for doc in ctx.state.of_type(SERVER_TYPE, f"/subscriptions/{ref.subscription}"):
            info = sku_info((doc.get("sku") or {}).get("name", ""))
            if info and same_location(doc.get("location", ""), location):
                used["cores"] = used.get("cores", 0) + info[0]
                used[info[1]] = used.get(info[1], 0) + info[0]
        families = sorted({family for sizes in CATALOG.values() for _size, _v, family in sizes})
        return [{"name": {"value": name, "localizedValue": name}, "limit": limits.get(name, limits["family"]), "unit": "Count",
                 "currentValue": used.get(name, 0), "id": ""} for name in ["cores", *families]]


TYPES = [FlexibleServers(), Databases(), Configurations(), Capabilities(), QuotaUsages()]
