# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL Flexible Server desired state and comparison. PRIVATE to the collection.

Pure Python: servers, databases and configurations are ARM REST JSON; no SDK, no Ansible.
The administrator password is write-only in Azure (never returned), so it is never compared:
it is sent when the server is created, and on update only when the caller asks.

An option the caller leaves unset (None) means "leave it as it is" on an existing server: only the
options given are compared and patched. CREATE_DEFAULTS fill the unset ones when a server is created.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault_secret import password_problems
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, check_reserved_name, merge_tags

SERVER_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
LOGIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DATABASE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")
RESERVED_LOGINS = ("azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public")
TIERS = {"Burstable": ("B", "Standard_B"), "GeneralPurpose": ("GP", "Standard_D"), "MemoryOptimized": ("MO", "Standard_E")}
STORAGE_GB = (32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767)
HA_MODES = ("Disabled", "SameZone", "ZoneRedundant")
DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"
# Needed to create a server (the collection creates VNet-integrated servers only); not needed to manage one.
CREATE_REQUIRED = ("location", "version", "sku_name", "delegated_subnet_id", "private_dns_zone_id", "administrator_login",
                   "administrator_login_password")
# What an unset option becomes when the server is created (an existing server keeps its value).
CREATE_DEFAULTS = {"storage_size_gb": 32, "storage_auto_grow": False, "backup_retention_days": 7, "geo_redundant_backup": False,
                   "high_availability": "Disabled"}
DATABASE_DEFAULTS = {"charset": "UTF8", "collation": "en_US.utf8"}
# Parameters Azure applies only after a server restart (isDynamicConfig false).
STATIC_PARAMETERS = ("shared_preload_libraries", "max_connections", "max_worker_processes", "max_prepared_transactions",
                     "max_locks_per_transaction", "wal_level", "cron.database_name")


def infer_tier(sku_name: str | None) -> str | None:
    """The tier a size belongs to (B_/GP_/MO_ prefix, else the Standard_B/D/E family); None when unknown."""
    name = sku_name or ""
    for tier, (prefix, family) in TIERS.items():
        if name.startswith(prefix + "_") or name.startswith(family):
            return tier
    return None


def normalize_sku(sku_name: str, tier: str | None = None) -> dict:
    """Azure's sku {name, tier}; accepts Terraform's prefixed names (GP_Standard_D4s_v3) too; tier defaults to the size's."""
    tier = tier or infer_tier(sku_name)
    if tier is None:
        raise AzureInputError(f"sku_name: {sku_name!r} is not a size of a known tier; expected e.g. Standard_B1ms (Burstable), "
                              "Standard_D4s_v3 (GeneralPurpose), Standard_E4s_v3 (MemoryOptimized), or with Terraform's prefix "
                              "(B_Standard_B1ms, GP_Standard_D4s_v3, MO_Standard_E4s_v3)")
    if tier not in TIERS:
        raise AzureInputError(f"tier: {tier!r} is not one of {', '.join(TIERS)}")
    prefix, family = TIERS[tier]
    name = sku_name or ""
    match = re.match(r"^(B|GP|MO)_(Standard_.+)$", name)
    if match:
        if match.group(1) != prefix:
            raise AzureInputError(f"sku_name: {sku_name!r} belongs to another tier than {tier!r} (expected {prefix}_{family}...)")
        name = match.group(2)
    if not re.match(r"^Standard_[A-Za-z0-9_]+$", name) or not name.startswith(family):
        raise AzureInputError(f"sku_name: {sku_name!r} is not a {tier} size; expected e.g. {family}...s_v3 "
                              f"(or {prefix}_{family}...s_v3)")
    return {"name": name, "tier": tier}


def missing_for_create(spec: dict) -> list[str]:
    """The options a create needs that the caller did not give."""
    return [key for key in CREATE_REQUIRED if spec.get(key) in (None, "")]


def validate_server(spec: dict) -> None:
    """Input checks that need no Azure call; the message names the option and what is valid."""
    if not SERVER_NAME_RE.match(spec["name"] or ""):
        raise AzureInputError(f"name: {spec['name']!r} is not a valid server name; Azure allows 3-63 characters: lower-case "
                              "letters, digits and hyphens, not starting or ending with a hyphen")
    check_reserved_name(spec["name"])
    login = spec.get("administrator_login")
    if login is not None and (not LOGIN_RE.match(login) or login.lower() in RESERVED_LOGINS or login.lower().startswith("pg_")):
        raise AzureInputError(f"administrator_login: {login!r} is not allowed; use 1-63 letters, digits and underscores, "
                              f"not starting with pg_ and none of {', '.join(RESERVED_LOGINS)}")
    password = spec.get("administrator_login_password")
    if password is not None:
        # The login rule here only for a password that will be sent (update_password); a create's is checked in
        # plan_server, which knows the server is new. An existing server's password is not sent: one made before
        # the rule covered part of the login (Azure took it) must not stop that server's next run.
        check_password(password, login if spec.get("update_password") else None)
    if spec.get("storage_size_gb") is not None and spec["storage_size_gb"] not in STORAGE_GB:
        raise AzureInputError(f"storage_size_gb: {spec['storage_size_gb']} is not an Azure size; valid: "
                              f"{', '.join(str(s) for s in STORAGE_GB)}")
    days = spec.get("backup_retention_days")
    if days is not None and not 7 <= days <= 35:
        raise AzureInputError(f"backup_retention_days: {days} is out of range 7-35")
    if spec.get("sku_name"):
        normalize_sku(spec["sku_name"], spec.get("tier"))
    tier = spec.get("tier") or infer_tier(spec.get("sku_name"))
    if spec.get("high_availability") not in (None, "Disabled") and tier == "Burstable":
        raise AzureInputError(f"high_availability: {spec['high_availability']} is not available in the Burstable tier; "
                              "use GeneralPurpose or MemoryOptimized, or Disabled")
    for db in spec.get("databases") or []:
        if not DATABASE_RE.match(db["name"] or ""):
            raise AzureInputError(f"databases: {db['name']!r} is not a valid database name (letters, digits, _ and -, "
                                  "starting with a letter or _, at most 63 characters)")


def private_dns_zone_id(value: str, subscription_id: str, resource_group: str) -> str:
    """A private DNS zone resource id from an id, or from a zone name in the given subscription and group."""
    value = (value or "").strip()
    if value.startswith("/"):
        return value
    if not re.match(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", value):
        raise AzureInputError(f"private_dns_zone_id: {value!r} is neither a private DNS zone resource id nor a zone name "
                              "such as westeu-dev-1.private.postgres.database.azure.com")
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Network/privateDnsZones/{value}"


def dns_zone_problem(zone: str, service_suffix: str) -> str | None:
    """Why a private DNS zone cannot serve a VNet-integrated server (None when it can).

    The service reports its suffix (getPrivateDnsZoneSuffix: private.postgres.database.azure.com in Azure's public
    cloud) and refuses a zone outside its domain (postgres.database.azure.com: Microsoft's concepts-networking-private;
    Azure answers PrivateDnsZoneNameNotValid in the failed operation, terraform-provider-azurerm#24549)."""
    domain = service_suffix.split(".", 1)[1] if service_suffix.startswith("private.") else service_suffix
    if not zone.lower().endswith("." + domain.lower()):
        return (f"private_dns_zone_id: the zone {zone} does not end with .{domain}, which Azure requires of a flexible "
                f"server's zone (the service's suffix is {service_suffix}); use e.g. <deployment>.{service_suffix}")
    return None


def subnet_delegation_problem(subnet: dict | None, subnet_id: str) -> str | None:
    """Why a subnet cannot host a flexible server (None when it can)."""
    if subnet is None:
        return f"delegated_subnet_id: the subnet {subnet_id} does not exist"
    delegations = [(d.get("properties") or {}).get("serviceName") or d.get("serviceName") or ""
                   for d in (subnet.get("properties") or {}).get("delegations") or []]
    if not any(s.lower() == DELEGATION.lower() for s in delegations):
        found = ", ".join(delegations) or "none"
        return (f"delegated_subnet_id: the subnet {subnet_id} is not delegated to {DELEGATION} (its delegations: {found}); "
                "add the delegation to the subnet (role network does it for the database subnet) before creating the server")
    return None


def create_body(spec: dict, location: str, tags: dict) -> dict:
    """The PUT body of a new server; options left unset take CREATE_DEFAULTS."""
    spec = dict(spec)
    for key, value in CREATE_DEFAULTS.items():
        if spec.get(key) is None:
            spec[key] = value
    props = {
        "version": str(spec["version"]),
        "administratorLogin": spec["administrator_login"],
        "administratorLoginPassword": spec["administrator_login_password"],
        "storage": {"storageSizeGB": spec["storage_size_gb"], "autoGrow": "Enabled" if spec["storage_auto_grow"] else "Disabled"},
        "backup": {"backupRetentionDays": spec["backup_retention_days"],
                   "geoRedundantBackup": "Enabled" if spec["geo_redundant_backup"] else "Disabled"},
        "highAvailability": {"mode": spec["high_availability"]},
        "createMode": "Create",
    }
    if spec.get("availability_zone"):
        props["availabilityZone"] = spec["availability_zone"]
    if spec["high_availability"] != "Disabled" and spec.get("standby_availability_zone"):
        props["highAvailability"]["standbyAvailabilityZone"] = spec["standby_availability_zone"]
    if spec.get("delegated_subnet_id"):
        props["network"] = {"delegatedSubnetResourceId": spec["delegated_subnet_id"],
                            "privateDnsZoneArmResourceId": spec["private_dns_zone_id"], "publicNetworkAccess": "Disabled"}
    return {"location": location, "sku": normalize_sku(spec["sku_name"], spec.get("tier")), "tags": tags, "properties": props}


def server_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    storage, backup = props.get("storage") or {}, props.get("backup") or {}
    network, ha = props.get("network") or {}, props.get("highAvailability") or {}
    sku = doc.get("sku") or {}
    return {
        "id": doc.get("id"), "name": doc.get("name"), "location": doc.get("location"),
        "fqdn": props.get("fullyQualifiedDomainName"),
        "version": props.get("version"),
        "sku_name": sku.get("name"), "tier": sku.get("tier"),
        "administrator_login": props.get("administratorLogin"),
        "storage_size_gb": storage.get("storageSizeGB"),
        "storage_auto_grow": storage.get("autoGrow") == "Enabled",
        "backup_retention_days": backup.get("backupRetentionDays"),
        "geo_redundant_backup": backup.get("geoRedundantBackup") == "Enabled",
        "high_availability": ha.get("mode", "Disabled"),
        "delegated_subnet_id": network.get("delegatedSubnetResourceId"),
        "private_dns_zone_id": network.get("privateDnsZoneArmResourceId"),
        "public_network_access": network.get("publicNetworkAccess"),
        "state": props.get("state"),
        "tags": dict(doc.get("tags") or {}),
    }


SERVER_KEYS = ("version", "sku_name", "tier", "storage_size_gb", "storage_auto_grow", "backup_retention_days",
               "geo_redundant_backup", "high_availability", "delegated_subnet_id", "private_dns_zone_id",
               "administrator_login", "tags")


def wanted_server(spec: dict, current_tags: dict | None = None) -> dict:
    """The server settings the caller gave, in server_view's terms (unset options are absent)."""
    wanted = {key: spec[key] for key in SERVER_KEYS if key not in ("sku_name", "tier", "tags") and spec.get(key) is not None}
    if "version" in wanted:
        wanted["version"] = str(wanted["version"])
    if spec.get("sku_name"):
        sku = normalize_sku(spec["sku_name"], spec.get("tier"))
        wanted["sku_name"], wanted["tier"] = sku["name"], sku["tier"]
    elif spec.get("tier"):
        wanted["tier"] = spec["tier"]
    if spec.get("tags") is not None:
        wanted["tags"] = merge_tags(current_tags, spec["tags"], spec.get("purge_tags", True))
    return wanted


def _immutable_differences(before: dict, wanted: dict) -> list[str]:
    """What the caller asked for that Azure cannot change on an existing server (only options given are looked at)."""
    problems = []
    if "version" in wanted and str(before["version"]) != wanted["version"]:
        problems.append(f"version (server {before['version']}, asked {wanted['version']}: a major upgrade is a separate operation)")
    if "geo_redundant_backup" in wanted and before["geo_redundant_backup"] != wanted["geo_redundant_backup"]:
        problems.append(f"geo_redundant_backup (server {before['geo_redundant_backup']}: Azure sets it only at creation)")
    if "delegated_subnet_id" in wanted and not ids_equal(before["delegated_subnet_id"], wanted["delegated_subnet_id"]):
        problems.append(f"delegated_subnet_id (server {before['delegated_subnet_id']}: the network of a server is chosen at creation)")
    if "private_dns_zone_id" in wanted and not ids_equal(before["private_dns_zone_id"], wanted["private_dns_zone_id"]):
        problems.append(f"private_dns_zone_id (server {before['private_dns_zone_id']}: chosen at creation)")
    if "administrator_login" in wanted and (before["administrator_login"] or "").lower() != wanted["administrator_login"].lower():
        problems.append(f"administrator_login (server {before['administrator_login']!r})")
    if "storage_size_gb" in wanted and (before["storage_size_gb"] or 0) > wanted["storage_size_gb"]:
        problems.append(f"storage_size_gb (server {before['storage_size_gb']} GB: storage can grow, never shrink)")
    if "tier" in wanted and "sku_name" not in wanted and before["tier"] != wanted["tier"]:
        problems.append(f"tier (server {before['tier']}: a new tier needs sku_name, a size of that tier)")
    tier = wanted.get("tier", before["tier"])
    if wanted.get("high_availability") not in (None, "Disabled") and tier == "Burstable":
        problems.append(f"high_availability (not available in the Burstable tier of server {before['sku_name']}; "
                        "give sku_name of a GeneralPurpose or MemoryOptimized size)")
    return problems


def _grown_by_azure(current: dict, wanted: dict) -> bool:
    """Whether the server is larger than storage_size_gb because Azure grew it: with storage auto-grow on (and kept
    on), Azure raises the size as the disk fills (Microsoft Learn, postgresql flexible-server concepts-storage, storage
    autogrow), so the size given is where the server started, and a re-run of the same task must not read it as a
    shrink."""
    return (current.get("storage_auto_grow") and wanted.get("storage_auto_grow") is not False
            and "storage_size_gb" in wanted and (current.get("storage_size_gb") or 0) > wanted["storage_size_gb"])


def check_password(password: str, login: str | None) -> None:
    problems = password_problems(password, login)
    if problems:
        # Never the password itself, only what is wrong with it.
        raise AzureInputError("administrator_login_password does not meet Azure's rules: " + "; ".join(problems))


def plan_server(existing: dict | None, spec: dict, location: str) -> dict:
    """Create body, or PATCH body for the differences in the options given; immutable differences fail clearly.

    before/after hold the options the caller gave (the whole new server when it is created), so a diff
    shows what was asked and changed, never a default the caller did not set.
    """
    if existing is None:
        missing = missing_for_create(dict(spec, location=location))
        if missing:
            raise AzureInputError(f"server {spec['name']} does not exist; to create it, also give: {', '.join(missing)}")
        tags = merge_tags(None, spec.get("tags"), True)
        body = create_body(spec, location, tags)
        after = wanted_server(dict(CREATE_DEFAULTS, **{k: v for k, v in spec.items() if v is not None}))
        after["tags"] = tags
        return {"changed": True, "create": True, "body": body, "before": {}, "after": after}
    current = server_view(existing)
    wanted = wanted_server(spec, current.get("tags"))
    if _grown_by_azure(current, wanted):
        wanted["storage_size_gb"] = current["storage_size_gb"]   # a floor, not a shrink: see _grown_by_azure
    before = {k: current.get(k) for k in SERVER_KEYS if k in wanted}
    problems = _immutable_differences({k: current.get(k) for k in SERVER_KEYS}, wanted)
    if problems:
        raise AzureInputError(f"cannot change on existing server {spec['name']}: " + "; ".join(problems))
    after = dict(wanted)
    for key in ("delegated_subnet_id", "private_dns_zone_id", "administrator_login"):
        if key in wanted:
            after[key] = before[key]  # equal up to casing: keep Azure's spelling
    patch: dict = {"properties": {}}
    if ("sku_name" in wanted) and (before["sku_name"], before["tier"]) != (wanted["sku_name"], wanted["tier"]):
        patch["sku"] = {"name": wanted["sku_name"], "tier": wanted["tier"]}
    storage = {}
    if "storage_size_gb" in wanted and before["storage_size_gb"] != wanted["storage_size_gb"]:
        storage["storageSizeGB"] = wanted["storage_size_gb"]
    if "storage_auto_grow" in wanted and before["storage_auto_grow"] != wanted["storage_auto_grow"]:
        storage["autoGrow"] = "Enabled" if wanted["storage_auto_grow"] else "Disabled"
    if storage:
        patch["properties"]["storage"] = storage
    if "backup_retention_days" in wanted and before["backup_retention_days"] != wanted["backup_retention_days"]:
        patch["properties"]["backup"] = {"backupRetentionDays": wanted["backup_retention_days"]}
    if "high_availability" in wanted and before["high_availability"] != wanted["high_availability"]:
        patch["properties"]["highAvailability"] = {"mode": wanted["high_availability"]}
        if wanted["high_availability"] != "Disabled" and spec.get("standby_availability_zone"):
            patch["properties"]["highAvailability"]["standbyAvailabilityZone"] = spec["standby_availability_zone"]
    if spec.get("update_password"):
        patch["properties"]["administratorLoginPassword"] = spec["administrator_login_password"]
        after["administrator_login_password"] = "(sent)"
        before["administrator_login_password"] = "(not readable)"
    if "tags" in wanted and before["tags"] != wanted["tags"]:
        patch["tags"] = wanted["tags"]
    if not patch["properties"]:
        del patch["properties"]
    return {"changed": bool(patch), "create": False, "patch": patch, "before": before, "after": after}


def plan_databases(existing: list[dict], wanted: list[dict] | None, purge: bool) -> dict:
    """Databases to create and to delete; Azure's system databases are never touched."""
    system = {"postgres", "azure_maintenance", "azure_sys"}
    have = {d["name"]: d for d in existing}
    if wanted is None:
        return {"create": [], "delete": [], "before": sorted(have), "after": sorted(have)}
    names = [d["name"] for d in wanted]
    # charset/collation left unset take DATABASE_DEFAULTS for a new database and are not compared on an existing one.
    create = [dict(d, **{k: d.get(k) or v for k, v in DATABASE_DEFAULTS.items()}) for d in wanted if d["name"] not in have]
    for db in wanted:
        old = have.get(db["name"])
        if old is None:
            continue
        props = old.get("properties") or {}
        for key, prop in (("charset", "charset"), ("collation", "collation")):
            if db.get(key) and (props.get(prop) or "").lower() != db[key].lower():
                raise AzureInputError(f"databases: {db['name']} has {key} {props.get(prop)!r}; Azure cannot change it "
                                      f"to {db[key]!r} (drop and recreate the database)")
    delete = sorted(n for n in have if purge and n not in names and n not in system)
    after = sorted((set(have) | set(names)) - set(delete))
    return {"create": create, "delete": delete, "before": sorted(have), "after": after}


def plan_parameters(current: dict[str, dict], wanted: dict[str, str] | None) -> dict:
    """Server parameters to set. current: name -> configuration (REST JSON). Values compare case-insensitively,
    and comma lists (azure.extensions, shared_preload_libraries, pgaudit.log) as sets."""
    wanted = {k: parameter_text(v) for k, v in (wanted or {}).items()}
    changes, unknown = {}, []
    before, after = {}, {}
    for name, value in sorted(wanted.items()):
        config = current.get(name.lower())
        if config is None:
            unknown.append(name)
            continue
        old = str((config.get("properties") or {}).get("value", ""))
        before[name], after[name] = old, str(value)
        if _norm_value(old) != _norm_value(str(value)):
            changes[name] = str(value)
    if unknown:
        raise AzureInputError(f"parameters: the server has no parameter(s) {', '.join(unknown)}")
    restart = sorted(n for n in changes if n.lower() in STATIC_PARAMETERS
                     or (current.get(n.lower(), {}).get("properties") or {}).get("isDynamicConfig") is False)
    return {"changes": changes, "restart": restart, "before": before, "after": after}


def parameter_text(value) -> str:
    """A parameter value as Azure stores it; YAML 1.1 reads an unquoted on/off as a boolean."""
    return "on" if value is True else "off" if value is False else str(value)


def _norm_value(value: str) -> tuple:
    parts = [p.strip().lower() for p in value.split(",")]
    return tuple(sorted(p for p in parts if p)) if "," in value else (value.strip().lower(),)


def pending_restart(configs: dict[str, dict]) -> list[str]:
    return sorted(n for n, c in configs.items() if (c.get("properties") or {}).get("isConfigPendingRestart"))


def connection_info(doc: dict | None) -> dict:
    """How a client reaches the server: host (the FQDN, also for TLS name checks), port, and hostaddr when the
    ARM endpoint says where the FQDN lands (the local emulator's emulatorLocalEndpoint; absent in Azure)."""
    if not doc:
        return {}
    props = doc.get("properties") or {}
    local = props.get("emulatorLocalEndpoint") or {}
    info = {"host": props.get("fullyQualifiedDomainName"), "port": int(local.get("port") or 5432),
            "user": props.get("administratorLogin"), "sslmode": "require"}
    if local.get("hostaddr"):
        info["hostaddr"] = local["hostaddr"]
    return info
