# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL Flexible Servers for the resource engine: the server, its databases and parameters as
child writes, a restart when asked. PRIVATE to the collection.

The pure planners are in _azure/postgresql.py. Azure runs one operation at a time on a server, so the
child writes (databases, parameters, the restart) go one after another (serial_children).
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import SdkApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.key_vault import subnet_id
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql import (
    STATIC_PARAMETERS, connection_info, dns_zone_problem, missing_for_create, parameter_text, pending_restart, plan_databases, plan_parameters,
    plan_server, private_dns_zone_id, server_view, subnet_delegation_problem, validate_server)
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


def read_children(module, rid: ResourceId) -> dict:
    """The server's databases and its parameters (by lower-case name)."""
    with module.operation(f"list databases of {rid.name}"):
        databases = DATABASES.list(module, rid, "databases")
    with module.operation(f"list parameters of {rid.name}"):
        configs = {c["name"].lower(): c for c in CONFIGURATIONS.list(module, rid, "configurations")}
    return {"databases": databases, "configurations": configs}


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
        if params.get("wait") is False and (params["databases"] is not None or params["parameters"] is not None or params["restart"]):
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
        return existing

    def plan(self, existing, related):
        params, rid = self.params, self.resource_id()
        self.created = existing is None
        server = plan_server(existing, params, params["location"])
        databases = plan_databases(related.get("databases", []), params["databases"], params["purge_databases"])
        configs = related.get("configurations", {})
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
        databases = self.databases_after
        if doc and not self.module.check_mode:
            databases = sorted(d["name"] for d in related.get("databases", []))
        result = {"server": view, "databases": databases, "parameters": self.parameters_after,
                  "restart_required": [] if self.restarted else pending_restart(configs), "restarted": self.restarted,
                  "created": self.created}
        if doc:
            result["connection"] = connection_info(doc)
        return result


class FlexibleServerInfo(FlexibleServer):
    """Read only (postgresql_flexible_server_info): the server as postgresql_flexible_server reports it."""

    def validate(self):
        validate_name(self.params["resource_group"], "resource_group", "resource group")
        validate_server({"name": self.params["name"]})

    def result(self, doc, related):
        if doc is None:
            return {"server": {}, "connection": {}, "databases": [], "parameters": {}, "restart_required": []}
        configs = related["configurations"]
        return {"server": server_view(doc), "connection": connection_info(doc),
                "databases": sorted(d["name"] for d in related["databases"]),
                "parameters": user_parameters(configs), "restart_required": pending_restart(configs)}
