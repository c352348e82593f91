# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of a PostgreSQL Flexible Server shared by postgresql_flexible_server and its _info module. PRIVATE to the collection.

Thin SDK calls through AzureModule (errors become one fail_json); what they return is ARM REST JSON
for the pure helpers of _azure_postgresql.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule, as_rest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql import connection_info, pending_restart, server_view

try:
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
    HAS_SDK, SDK_ERROR = True, None
except ImportError:
    PostgreSQLManagementClient = None  # pylint: disable=invalid-name
    HAS_SDK, SDK_ERROR = False, traceback.format_exc()


def postgresql_client(module: AzureModule):
    """The management client; a missing SDK is reported by its pip name."""
    if not HAS_SDK:
        module.fail_json(msg=missing_required_lib("azure-mgmt-postgresqlflexibleservers (pip install azure-mgmt-postgresqlflexibleservers)"),
                         exception=SDK_ERROR)
    return module.client(PostgreSQLManagementClient)


def read_server(module: AzureModule, client, rg: str, name: str) -> dict | None:
    """The server, or None when it or its resource group does not exist (404); a wrong subscription fails (see get_or_none)."""
    return as_rest(module.get_or_none(f"get PostgreSQL server {name}", client.servers.get, rg, name))


def list_databases(module: AzureModule, client, rg: str, name: str) -> list[dict]:
    with module.operation(f"list databases of {name}"):
        return [as_rest(d) for d in client.databases.list_by_server(rg, name)]


def list_configurations(module: AzureModule, client, rg: str, name: str) -> dict[str, dict]:
    """Server parameters by lower-case name."""
    with module.operation(f"list parameters of {name}"):
        return {c.name.lower(): as_rest(c) for c in client.configurations.list_by_server(rg, name)}


def user_parameters(configs: dict[str, dict]) -> dict[str, str]:
    """Parameters set by a user (source user-override), name to value."""
    return {name: str((c.get("properties") or {}).get("value", "")) for name, c in sorted(configs.items())
            if (c.get("properties") or {}).get("source") == "user-override"}


def describe_server(module: AzureModule, client, rg: str, name: str) -> dict:
    """What postgresql_flexible_server_info returns: the server as postgresql_flexible_server reports it, or exists=false."""
    doc = read_server(module, client, rg, name)
    if doc is None:
        return {"exists": False, "server": {}, "connection": {}, "databases": [], "parameters": {}, "restart_required": []}
    configs = list_configurations(module, client, rg, name)
    return {"exists": True, "server": server_view(doc), "connection": connection_info(doc),
            "databases": sorted(d["name"] for d in list_databases(module, client, rg, name)),
            "parameters": user_parameters(configs), "restart_required": pending_restart(configs)}
