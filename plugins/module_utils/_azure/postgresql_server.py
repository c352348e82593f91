# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL Flexible Servers for the resource engine: the server, its databases and parameters as
child writes, a restart when asked. PRIVATE to the collection.

The pure planners are in _azure/postgresql.py. Azure runs one operation at a time on a server, so the
child writes (databases, parameters, the restart) go one after another (serial_children).

Data encryption with a customer-managed key (options identity and data_encryption; plan_data_encryption below) maps
to the REST spec's `identity` (UserAssignedIdentity: type UserAssigned, userAssignedIdentities {id: {}}) and
`properties.dataEncryption` (DataEncryption: type AzureKeyVault, primaryKeyURI, primaryUserAssignedIdentityId,
geoBackupKeyURI, geoBackupUserAssignedIdentityId) of api-version 2026-10-01
(tools/arm_emulator/specs/Microsoft.DBforPostgreSQL/2026-10-01). The rules, from learn.microsoft.com azure/postgresql/
flexible-server/concepts-data-encryption: the mode is chosen at creation only ("Limitations": a system-managed server
is refused before any call); geo-redundant backup needs the geo key and another identity for it; a key rotation is a
PATCH of primaryKeyURI to the new version ("you're responsible for rotating the key and ... updating the
configuration ... so that it references the rotated version"). Key URIs are versioned: the page's section on
versionless keys is not published (commented out in the page's source, MicrosoftDocs/azure-databases-docs), so the
collection does not rely on automatic version updates. The vault's and key's own rules (purge protection, enabled,
RSA size, the identity's role) are checked by Azure at the call (and by the emulator): they are other resources.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import SdkApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import subnet_id
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql import (
    STATIC_PARAMETERS, check_password, connection_info, dns_zone_problem, missing_for_create, parameter_text, pending_restart, plan_databases,
    plan_parameters, plan_server, private_dns_zone_id, server_view, subnet_delegation_problem, validate_server)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.private_dns_zone import API as ZONE_API
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, validate_name, validate_tags
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.virtual_network import SUBNET_API

SERVER_TYPE = "Microsoft.DBforPostgreSQL/flexibleServers"
# azure-mgmt-postgresqlflexibleservers 3.0 sends api-version 2026-10-01 (docs/resource-engine.md).
API_VERSION = "2026-10-01"
# One operation per server at a time; the others are refused with these codes (Azure/azure-postgresql#134
# ServerIsBusy; terraform-provider-azurerm#28298 and bicep-registry-modules#4451 ServerBusy).
BUSY = ("ServerBusy", "ServerIsBusy")
_CHILD = {"args_of": lambda rid: (rid.resource_group, rid.names[0], rid.name), "list_op": "list_by_server", "busy_codes": BUSY}
API = SdkApi("postgresql", "servers", API_VERSION, post="begin_restart", busy_codes=BUSY)
DATABASES = SdkApi("postgresql", "databases", API_VERSION, put="begin_create", **_CHILD)
CONFIGURATIONS = SdkApi("postgresql", "configurations", API_VERSION, **_CHILD)


KEY_URI_RE = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/keys/[0-9A-Za-z-]{1,127}/[0-9A-Za-z]{1,64}$")


def _identity_id(value: str, option: str) -> str:
    ResourceId.parse(value, option, "Microsoft.ManagedIdentity/userAssignedIdentities")
    return value


def validate_data_encryption(params: dict) -> None:
    """The checks of identity and data_encryption that need no call (each message names the option and what is valid)."""
    identity, enc = params.get("identity"), params.get("data_encryption")
    ids = [_identity_id(i, "identity.user_assigned_identities") for i in (identity or {}).get("user_assigned_identities") or []]
    if identity is not None and not ids:
        raise AzureInputError("identity.user_assigned_identities: give at least one user-assigned identity resource id")
    if enc is None:
        return
    lower = {i.lower() for i in ids}
    for key in ("primary_key_uri", "geo_backup_key_uri"):
        if enc.get(key) is not None and not KEY_URI_RE.match(enc[key]):
            raise AzureInputError(f"data_encryption.{key}: {enc[key]!r} is not a versioned Key Vault key identifier such as "
                                  "https://kv-acme-1x2y3z.vault.azure.net/keys/postgresql-cmk/<version> (key_vault_key returns key.id)")
    for key in ("primary_user_assigned_identity_id", "geo_backup_user_assigned_identity_id"):
        if enc.get(key) is not None and _identity_id(enc[key], f"data_encryption.{key}").lower() not in lower:
            raise AzureInputError(f"data_encryption.{key}: {enc[key]} is not listed in identity.user_assigned_identities; "
                                  "the server reads its key with one of its own identities")
    geo = params.get("geo_redundant_backup")
    has_geo = bool(enc.get("geo_backup_key_uri")) + bool(enc.get("geo_backup_user_assigned_identity_id"))
    if geo and has_geo < 2:
        raise AzureInputError("data_encryption: geo_redundant_backup=true with a customer-managed key needs geo_backup_key_uri "
                              "(a key in a vault of the paired region) and geo_backup_user_assigned_identity_id (Learn: "
                              "concepts-data-encryption, geo-redundant backup)")
    if has_geo and geo is False:
        raise AzureInputError("data_encryption: geo_backup_key_uri and geo_backup_user_assigned_identity_id need geo_redundant_backup=true")
    if has_geo == 2 and enc["geo_backup_user_assigned_identity_id"].lower() == enc["primary_user_assigned_identity_id"].lower():
        raise AzureInputError("data_encryption.geo_backup_user_assigned_identity_id: Azure does not take the primary identity "
                              "for the geo-backup key; give another identity (created in the paired region)")


def data_encryption_view(doc: dict | None) -> dict:
    enc = ((doc or {}).get("properties") or {}).get("dataEncryption") or {}
    if not doc:
        return {}
    return {"type": enc.get("type", "SystemManaged"), "primary_key_uri": enc.get("primaryKeyURI"),
            "primary_user_assigned_identity_id": enc.get("primaryUserAssignedIdentityId"),
            "primary_key_status": enc.get("primaryEncryptionKeyStatus"), "geo_backup_key_uri": enc.get("geoBackupKeyURI"),
            "geo_backup_user_assigned_identity_id": enc.get("geoBackupUserAssignedIdentityId")}


def identities_view(doc: dict | None) -> list[str]:
    return sorted(((doc or {}).get("identity") or {}).get("userAssignedIdentities") or {})


def _encryption_body(enc: dict) -> dict:
    body = {"type": "AzureKeyVault", "primaryKeyURI": enc["primary_key_uri"],
            "primaryUserAssignedIdentityId": enc["primary_user_assigned_identity_id"]}
    if enc.get("geo_backup_key_uri"):
        body.update(geoBackupKeyURI=enc["geo_backup_key_uri"], geoBackupUserAssignedIdentityId=enc["geo_backup_user_assigned_identity_id"])
    return body


def plan_data_encryption(existing: dict | None, params: dict) -> dict:
    """Body fragments for identity and data_encryption: {"create": {...}, "patch": {...}, "before": {...}, "after": {...}}.

    create: the top-level `identity` and `properties.dataEncryption` of a new server; patch: what differs on an existing
    one (a rotation: dataEncryption with the new primaryKeyURI). A system-managed server given data_encryption is
    refused (Azure sets the mode at creation only)."""
    identity, enc = params.get("identity"), params.get("data_encryption")
    out = {"create": {}, "patch": {}, "before": {}, "after": {}}
    if identity is not None:
        ids = identity["user_assigned_identities"]
        block = {"type": "UserAssigned", "userAssignedIdentities": {i: {} for i in ids}}
        out["create"]["identity"] = block
        out["after"]["identities"] = sorted(ids)
        if existing is not None:
            have = identities_view(existing)
            out["before"]["identities"] = have
            if {i.lower() for i in have} != {i.lower() for i in ids}:
                out["patch"]["identity"] = block
            else:
                out["after"]["identities"] = have
    if enc is not None:
        wanted = _encryption_body(enc)
        out["create"]["dataEncryption"] = wanted
        out["after"]["data_encryption"] = {k: v for k, v in data_encryption_view({"properties": {"dataEncryption": wanted}}).items()
                                           if v is not None}
        if existing is not None:
            current = data_encryption_view(existing)
            out["before"]["data_encryption"] = {k: v for k, v in current.items() if v is not None and k != "primary_key_status"}
            if current["type"] != "AzureKeyVault":
                raise AzureInputError(f"data_encryption: server {params['name']} was created with system-managed keys; Azure "
                                      "chooses customer-managed keys only when a server is created (learn.microsoft.com azure/"
                                      "postgresql/flexible-server/concepts-data-encryption, Limitations): restore it to a new "
                                      "server with data_encryption")
            same = all((current.get(k) or "").lower() == (out["after"]["data_encryption"].get(k) or "").lower()
                       for k in ("primary_key_uri", "primary_user_assigned_identity_id", "geo_backup_key_uri",
                                 "geo_backup_user_assigned_identity_id"))
            if not same:
                out["patch"]["dataEncryption"] = wanted
            else:
                out["after"]["data_encryption"] = out["before"]["data_encryption"]
    return out


def read_configurations(module, rid: ResourceId) -> dict:
    """The server's parameters, by lower-case name."""
    with module.operation(f"list parameters of {rid.name}"):
        return {c["name"].lower(): c for c in CONFIGURATIONS.list(module, rid, "configurations")}


def read_children(module, rid: ResourceId) -> dict:
    """The server's databases and its parameters (by lower-case name)."""
    with module.operation(f"list databases of {rid.name}"):
        databases = DATABASES.list(module, rid, "databases")
    return {"databases": databases, "configurations": read_configurations(module, rid)}


def user_parameters(configs: dict[str, dict]) -> dict[str, str]:
    """Parameters set by a user (source user-override), name to value."""
    return {name: str((c.get("properties") or {}).get("value", "")) for name, c in sorted(configs.items())
            if (c.get("properties") or {}).get("source") == "user-override"}


class FlexibleServer(Resource):
    what = "PostgreSQL server"
    result_key = "server"
    api = API
    serial_children = True
    restarted = False
    created = False   # this task creates the server (or started its create, wait=false)

    def validate(self):
        params = self.params
        validate_name(params["resource_group"], "resource_group", "resource group")
        if "tags" in params:
            params["tags"] = validate_tags(params["tags"])
        validate_server(params)
        validate_data_encryption(params)
        if params.get("wait") is False and (params["databases"] is not None or params["restart"]):
            raise AzureInputError("wait=false starts only the server's create or update: manage databases, parameters and "
                                  "restart in a later task (after complianceflow.infra.operation_wait)")

    def resource_id(self) -> ResourceId:
        params, sub = self.params, self.module.subscription_id
        with self.module.validating():
            if params.get("delegated_subnet_id"):
                params["delegated_subnet_id"] = subnet_id(params["delegated_subnet_id"], sub, params["resource_group"], "delegated_subnet_id")
            if params.get("private_dns_zone_id"):
                params["private_dns_zone_id"] = private_dns_zone_id(params["private_dns_zone_id"], sub, params["resource_group"])
        return ResourceId.build(sub, params["resource_group"], SERVER_TYPE, params["name"])

    def read_related(self, rid, existing):
        return read_children(self.module, rid)

    def view(self, doc):
        return server_view(doc)

    def deleted_view(self, existing, related):
        return server_view(existing)

    def before_plan(self, existing, related):
        missing = [] if existing is not None else missing_for_create(self.params)
        if missing == ["administrator_login_password"] and self.module.check_mode:
            # Check mode of a whole deployment before the vault exists: nothing is sent, the prediction needs no password.
            self.module.warn(f"server {self.params['name']} does not exist and administrator_login_password is not given: "
                             "a real run would fail (check mode predicts the creation)")
            self.params["administrator_login_password"] = "(not known in check mode)"
        elif missing:
            self.module.fail_json(msg=f"server {self.params['name']} does not exist in resource group {self.params['resource_group']}; "
                                      f"to create it, also give: {', '.join(missing)}")
        elif existing is None:   # a create sends the password: Azure's login rule too (validate_server left it out)
            with self.module.validating():
                check_password(self.params["administrator_login_password"], self.params.get("administrator_login"))
        return existing

    def plan(self, existing, related):
        params, rid = self.params, self.resource_id()
        self.created = existing is None
        server = plan_server(existing, params, params["location"])
        encryption = plan_data_encryption(existing, params)
        if server["create"]:
            if "identity" in encryption["create"]:
                server["body"]["identity"] = encryption["create"]["identity"]
            if "dataEncryption" in encryption["create"]:
                server["body"].setdefault("properties", {})["dataEncryption"] = encryption["create"]["dataEncryption"]
        elif encryption["patch"]:
            patch = server.setdefault("patch", {})
            if "identity" in encryption["patch"]:
                patch["identity"] = encryption["patch"]["identity"]
            if "dataEncryption" in encryption["patch"]:
                patch.setdefault("properties", {})["dataEncryption"] = encryption["patch"]["dataEncryption"]
            server["changed"] = True
        server["before"].update(encryption["before"])
        server["after"].update(encryption["after"])
        databases = plan_databases(related.get("databases", []), params["databases"], params["purge_databases"])
        configs = related.get("configurations", {})
        if params.get("wait") is False and params["parameters"] is not None:
            # Only checked here (a misspelt name fails before the server's own change is started: that one is not
            # undone, e.g. storage never shrinks); a later awaited task writes them.
            if existing is not None:
                plan_parameters(configs, params["parameters"])
            params["parameters"] = None
        if existing is None and params["parameters"]:
            # Every given value is a change. A new server runs nothing yet: the static ones (shared_preload_libraries
            # for pgaudit) are applied by a restart right away, whatever O(restart) says.
            changes = {k: parameter_text(v) for k, v in params["parameters"].items()}
            restart = sorted(k for k in changes if k.lower() in STATIC_PARAMETERS)
            parameters = {"changes": changes, "restart": restart, "before": {}, "after": changes}
        else:
            parameters = plan_parameters(configs, params["parameters"])
        before, after = {"server": server["before"]}, {"server": server["after"]}
        if params["databases"] is not None:
            before["databases"], after["databases"] = databases["before"], databases["after"]
        if params["parameters"] is not None:
            before["parameters"], after["parameters"] = parameters["before"], parameters["after"]
        children = [Child(f"create database {db['name']} on {rid.name}", "PUT", rid.child("databases", db["name"]),
                          {"properties": {"charset": db["charset"], "collation": db["collation"]}}, DATABASES) for db in databases["create"]]
        children += [Child(f"delete database {name} on {rid.name}", "DELETE", rid.child("databases", name), None, DATABASES)
                     for name in databases["delete"]]
        children += [Child(f"set parameter {name} of {rid.name}", "PATCH", rid.child("configurations", name),
                           {"properties": {"value": value, "source": "user-override"}}, CONFIGURATIONS)
                     for name, value in parameters["changes"].items()]
        waiting = sorted(set(parameters["restart"]) | set(pending_restart(configs)))
        notes = []
        if waiting and (params["restart"] or existing is None):
            children.append(Child(f"restart PostgreSQL server {rid.name} for {', '.join(waiting)}", "POST", rid, None, API))
            self.restarted = True
        elif waiting:
            notes.append(f"server {rid.name}: {', '.join(waiting)} take effect after a restart (restart=true, or restart it "
                         "in a maintenance window)")
        self.parameters_after, self.databases_after, self.planned_after = parameters["after"], databases["after"], server["after"]
        action = "create" if server["create"] else ("patch" if server["changed"] else "none")
        return Plan(action, server["body"] if server["create"] else server.get("patch"), before, after, children, notes)

    def children_after_create(self, rid, doc, children):
        """A value the new server already has is not written: Azure gives a new server defaults the plan could not
        read (require_secure_transport on, TLS 1.2), and every write waits its turn on the server (one at a time). The
        restart stays only while a static parameter is still written."""
        if not self.params["parameters"]:
            return children
        configs = read_configurations(self.module, rid)
        still = plan_parameters(configs, self.params["parameters"])
        writes = {name.lower() for name in still["changes"]}
        restart = bool(still["restart"] or pending_restart(configs))
        self.restarted = self.restarted and restart
        return [c for c in children if (c.api is not CONFIGURATIONS or c.resource_id.name.lower() in writes)
                and (c.method != "POST" or restart)]

    def before_write(self, existing, plan):
        if plan.action == "create":
            self.check_network()

    def check_network(self):
        """Fail before creating anything when the subnet is not delegated or the private DNS zone is missing."""
        module, params = self.module, self.params
        subnet = ResourceId.parse(params["delegated_subnet_id"], "delegated_subnet_id", "Microsoft.Network/virtualNetworks/subnets")
        found = module.get_or_none(f"read subnet {subnet.name}", SUBNET_API.get, module, subnet)
        problem = subnet_delegation_problem(found, params["delegated_subnet_id"])
        if problem:
            module.fail_json(msg=problem)
        zone = ResourceId.parse(params["private_dns_zone_id"], "private_dns_zone_id", "Microsoft.Network/privateDnsZones")
        with module.operation("read the private DNS zone suffix of Azure Database for PostgreSQL"):
            suffix = module.client("postgresql").private_dns_zone_suffix.get()
        problem = dns_zone_problem(zone.name, suffix)
        if problem:
            module.fail_json(msg=problem)
        if zone.name.lower().startswith("privatelink."):
            module.warn(f"private_dns_zone_id: {zone.name} is a private-endpoint zone name; a VNet-integrated server is better "
                        f"given a zone of its own (<deployment>.{suffix}): a network links one zone per name")
        if module.get_or_none(f"read private DNS zone {zone.name}", ZONE_API.get, module, zone) is None:
            module.fail_json(msg=f"private_dns_zone_id: the private DNS zone {zone} does not exist; create it (role network "
                                 "creates the deployment's zone) before the server")

    def predict(self, existing, plan):
        if existing is None:
            return None   # result() predicts from the plan
        return super().predict(existing, plan)

    def result(self, doc, related):
        params = self.params
        if doc is None and params.get("state") == "absent":
            return {"server": {}, "databases": [], "parameters": {}, "restart_required": []}
        configs = related.get("configurations", {})
        view = server_view(doc) if doc else dict(self.planned_after, name=params["name"], fqdn=f"{params['name']}.postgres.database.azure.com")
        if doc:
            view.update(data_encryption=data_encryption_view(doc), identities=identities_view(doc))
        databases = self.databases_after
        if doc and not self.module.check_mode:
            databases = sorted(d["name"] for d in related.get("databases", []))
        result = {"server": view, "databases": databases, "parameters": self.parameters_after,
                  "restart_required": [] if self.restarted else pending_restart(configs), "restarted": self.restarted,
                  "created": self.created}
        if doc:
            result["connection"] = connection_info(doc)
        return result


def check_listing(resource_group, tags) -> dict:
    """The listing's input checks (no call): the tags to match, as Azure stores them."""
    validate_name(resource_group, "resource_group", "resource group")
    return validate_tags(tags or {})


def list_servers(module, resource_group: str, tags: dict | None = None) -> list[dict]:
    """The servers of a resource group (REST "Servers - List By Resource Group", a GET of the group's flexibleServers
    collection) that carry every tag of `tags` (values compared as strings), sorted by name: name, id, location, tags,
    state. A group that does not exist has none."""
    wanted = {str(k): str(v) for k, v in (tags or {}).items()}
    collection = f"{ResourceId(module.subscription_id, resource_group)}/providers/{SERVER_TYPE}"
    listed = module.get_or_none(f"list the servers of {resource_group}", module.arm.list, collection, API_VERSION) or []
    servers = [{"name": d.get("name"), "id": d.get("id"), "location": d.get("location"), "tags": d.get("tags") or {},
                "state": (d.get("properties") or {}).get("state")} for d in listed]
    return sorted((s for s in servers if all(str(s["tags"].get(k)) == v for k, v in wanted.items())),
                  key=lambda s: s["name"] or "")


class FlexibleServerInfo(FlexibleServer):
    """Read only (postgresql_flexible_server_info): the server as postgresql_flexible_server reports it."""

    def validate(self):
        validate_name(self.params["resource_group"], "resource_group", "resource group")
        validate_server({"name": self.params["name"]})

    def result(self, doc, related):
        if doc is None:
            return {"server": {}, "connection": {}, "databases": [], "parameters": {}, "restart_required": []}
        configs = related["configurations"]
        return {"server": dict(server_view(doc), data_encryption=data_encryption_view(doc), identities=identities_view(doc)),
                "connection": connection_info(doc),
                "databases": sorted(d["name"] for d in related["databases"]),
                "parameters": user_parameters(configs), "restart_required": pending_restart(configs)}
