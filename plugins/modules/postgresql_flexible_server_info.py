#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_flexible_server_info
short_description: Read an Azure Database for PostgreSQL Flexible Server, its connection, databases and parameters
version_added: 1.0.0
description:
  - Reads one flexible server without changing anything. RV(server), RV(connection), RV(databases) and
    RV(restart_required) have the same shape as the results of the same names of
    M(complianceflow.infra.postgresql_flexible_server), so a play can read a server with this module and connect to it
    exactly as after creating it.
  - A server that does not exist, or whose resource group does not exist, is not an error; RV(exists) is V(false) and
    RV(server) and RV(connection) are empty dicts.
options:
  resource_group:
    description: Resource group of the server.
    type: str
    required: true
  name:
    description:
      - Server name.
      - Without it the module lists the servers of O(resource_group) in RV(servers) (those with every tag of O(tags)),
        and reads no server's details.
    type: str
  tags:
    description:
      - Without O(name), list only the servers that carry every one of these tags (values compared as strings), e.g.
        the Tier-3 servers of a deployment (C(tier=3)). Ignored with O(name).
    type: dict
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
  - complianceflow.infra.azure
requirements:
  - azure-mgmt-postgresqlflexibleservers >= 1.0
seealso:
  - module: complianceflow.infra.postgresql_flexible_server
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Is the deployment's server there, and how to reach it
  complianceflow.infra.postgresql_flexible_server_info:
    resource_group: rg-cf-westeu-dev-1
    name: psql-cf-westeu-dev-1
  register: psql

- name: The Tier-3 (per-tenant) servers of a deployment, by their tag
  complianceflow.infra.postgresql_flexible_server_info:
    resource_group: rg-cf-westeu-dev-1
    tags: {tier: "3"}
  register: tenant_servers

- name: Connect through libpq (hostaddr only where the ARM endpoint reports one, e.g. the local emulator)
  ansible.builtin.debug:
    msg: "host={{ psql.connection.host }} port={{ psql.connection.port }} user={{ psql.connection.user }}"
  when: psql.exists
"""

RETURN = r"""
exists:
  description: Whether the server exists (V(false) also when the resource group does not).
  returned: when O(name) is given
  type: bool
server:
  description: The server as M(complianceflow.infra.postgresql_flexible_server) returns it; an empty dict when it does not exist.
  returned: when O(name) is given
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Server name.
      type: str
    location:
      description: Azure location.
      type: str
    fqdn:
      description: Fully qualified domain name clients connect to.
      type: str
    version:
      description: PostgreSQL major version.
      type: str
    sku_name:
      description: Compute size as Azure names it.
      type: str
    tier:
      description: Compute tier.
      type: str
    administrator_login:
      description: Administrator login.
      type: str
    storage_size_gb:
      description: Storage in GiB.
      type: int
    storage_auto_grow:
      description: Whether Azure grows the storage when it fills up.
      type: bool
    backup_retention_days:
      description: Backup retention.
      type: int
    geo_redundant_backup:
      description: Geo-redundant backup.
      type: bool
    high_availability:
      description: High availability mode.
      type: str
    delegated_subnet_id:
      description: The delegated subnet.
      type: str
    private_dns_zone_id:
      description: The private DNS zone.
      type: str
    public_network_access:
      description: V(Disabled) for a VNet-integrated server.
      type: str
    state:
      description: Server state (V(Ready), V(Stopped), ...).
      type: str
    tags:
      description: Tags.
      type: dict
    data_encryption:
      description: C(type) (V(SystemManaged) or V(AzureKeyVault)), C(primary_key_uri), C(primary_user_assigned_identity_id),
        C(primary_key_status) (V(Valid) or V(Invalid)), C(geo_backup_key_uri), C(geo_backup_user_assigned_identity_id).
      type: dict
    identities:
      description: Resource ids of the server's user-assigned identities.
      type: list
      elements: str
connection:
  description:
    - How clients reach the server, as M(complianceflow.infra.postgresql_flexible_server) returns it; an empty dict
      when the server does not exist.
    - C(hostaddr) appears only where the ARM endpoint says the FQDN lands elsewhere (the local emulator), for libpq's
      C(hostaddr) (or E(PGHOSTADDR)).
  returned: when O(name) is given
  type: dict
  contains:
    host:
      description: The FQDN (also the TLS server name).
      type: str
      sample: psql-cf-westeu-dev-1.postgres.database.azure.com
    port:
      description: The port (5432 in Azure).
      type: int
      sample: 5432
    user:
      description: The administrator login.
      type: str
    sslmode:
      description: V(require).
      type: str
    hostaddr:
      description: The address the FQDN lands on.
      type: str
      returned: when the ARM endpoint reports it
databases:
  description: Names of the server's databases (system databases included), sorted; empty when it does not exist.
  returned: when O(name) is given
  type: list
  elements: str
parameters:
  description: Server parameters set by a user (source C(user-override)), name to value; empty when it does not exist.
  returned: when O(name) is given
  type: dict
  sample: {require_secure_transport: "on", pgaudit.log: "read,write,ddl,role"}
restart_required:
  description: Parameters whose new value waits for a server restart.
  returned: when O(name) is given
  type: list
  elements: str
servers:
  description: The servers of the resource group with every tag of O(tags), sorted by name; empty when the group does
    not exist.
  returned: when O(name) is not given
  type: list
  elements: dict
  contains:
    name:
      description: Server name.
      type: str
    id:
      description: Resource id.
      type: str
    location:
      description: Azure region.
      type: str
    tags:
      description: The server's tags.
      type: dict
    state:
      description: The server's state (V(Ready), V(Inaccessible), ...).
      type: str
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql_server import (
    FlexibleServerInfo, check_listing, list_servers)
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import inspect


def main():
    module = AzureModule(argument_spec=dict(resource_group={"type": "str", "required": True}, name={"type": "str"},
                                            tags={"type": "dict"}))
    if module.params["name"] is not None:
        inspect(FlexibleServerInfo(module))
        return
    with module.validating():
        tags = check_listing(module.params["resource_group"], module.params["tags"])
    module.exit_json(changed=False, servers=list_servers(module, module.params["resource_group"], tags))


if __name__ == "__main__":
    main()
