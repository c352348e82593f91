#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_flexible_server
short_description: Manage an Azure Database for PostgreSQL Flexible Server with its databases and server parameters
version_added: 1.0.0
description:
  - Creates or updates a flexible server (version, SKU and tier, storage, backup retention, geo-redundant backup,
    high availability, VNet integration, administrator, tags), the databases listed in O(databases) and the server
    parameters in O(parameters), or deletes the server.
  - VNet integration is checked before anything is created. The subnet O(delegated_subnet_id) must exist and be
    delegated to C(Microsoft.DBforPostgreSQL/flexibleServers), and the private DNS zone O(private_dns_zone_id) must
    exist; otherwise the module fails and says what to fix.
  - Azure never returns the administrator password, so it cannot be compared. It is sent when the server is created
    and, on an existing server, only with O(update_password=true) (which then always reports a change).
  - Some parameters (for example C(shared_preload_libraries), which C(pgaudit) needs) take effect only after a restart in
    Azure. On an existing server the module reports them in RV(restart_required) and restarts it only with
    O(restart=true); a server this task creates runs nothing yet and is restarted right after its parameters are set,
    so that they are active from the first deploy.
  - Creation, updates, database and parameter changes are each bounded by O(timeout).
  - On an existing server only the options given are compared and changed; an option left unset means "leave it as
    it is" (so O(name), O(resource_group) and O(state=present) alone report no change). Where an option below says
    "default when the server is created", that value applies to a new server only and is never compared afterwards.
  - To create a server, O(location), O(version), O(sku_name), O(delegated_subnet_id), O(private_dns_zone_id),
    O(administrator_login) and O(administrator_login_password) are needed; when the server does not exist and any of
    them is missing, the module fails before any write and names them. The collection creates VNet-integrated
    (private access) servers only.
  - To read a server without managing it, use M(complianceflow.infra.postgresql_flexible_server_info).
options:
  resource_group:
    description: Resource group of the server.
    type: str
    required: true
  name:
    description: Server name (3-63 lower-case letters, digits and hyphens); the FQDN is C(<name>.postgres.database.azure.com).
    type: str
    required: true
  location:
    description: Azure location. Required to create; not compared afterwards (a server does not move).
    type: str
  version:
    description: PostgreSQL major version. Required to create; cannot change afterwards (a major upgrade is a separate operation).
    type: str
    choices: ["12", "13", "14", "15", "16", "17"]
  sku_name:
    description:
      - Compute size, as Azure names it (V(Standard_D4s_v3)) or with Terraform's tier prefix (V(GP_Standard_D4s_v3)).
        Required to create.
    type: str
  tier:
    description:
      - Compute tier; must match O(sku_name). Default (when O(sku_name) is given) the tier of that size.
      - On an existing server, a different tier needs O(sku_name) of that tier.
    type: str
    choices: [Burstable, GeneralPurpose, MemoryOptimized]
  storage_size_gb:
    description:
      - Storage in GiB (32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767). It can grow, never shrink.
      - Default when the server is created V(32).
      - On a server with storage auto-grow on (and O(storage_auto_grow) not V(false)), a server larger than this value
        was grown by Azure; the value is then a floor, and the larger server is no change.
    type: int
  storage_auto_grow:
    description: Let Azure grow the storage when it fills up. Default when the server is created V(false).
    type: bool
  backup_retention_days:
    description: Days of point-in-time restore (7-35). Default when the server is created V(7).
    type: int
  geo_redundant_backup:
    description: Keep backups in the paired region. Azure sets it only at creation. Default when the server is created V(false).
    type: bool
  high_availability:
    description: High availability mode; not available in the Burstable tier. Default when the server is created V(Disabled).
    type: str
    choices: [Disabled, SameZone, ZoneRedundant]
  availability_zone:
    description: Zone of the primary (Azure picks one when omitted). Used when the server is created only.
    type: str
  standby_availability_zone:
    description: Zone of the standby with O(high_availability=ZoneRedundant), sent when high availability is turned on.
    type: str
  delegated_subnet_id:
    description:
      - The subnet delegated to C(Microsoft.DBforPostgreSQL/flexibleServers) (private access), by resource id or as
        C(<vnet>/<subnet>) in O(resource_group). Required to create; cannot change afterwards.
    type: str
  private_dns_zone_id:
    description:
      - The private DNS zone, by resource id or by name in O(resource_group), for example
        V(westeu-dev-1.private.postgres.database.azure.com). Required to create; cannot change afterwards.
      - Its name must end with the service's domain (C(postgres.database.azure.com) in Azure's public cloud); the
        module asks the service for its suffix and refuses another name before any write.
    type: str
  administrator_login:
    description: Administrator login. Required to create; cannot change afterwards.
    type: str
  administrator_login_password:
    description:
      - Administrator password (8-128 characters, three of upper-case, lower-case, digits and symbols, not holding the
        login or part of it, a part being three or more consecutive letters or digits of it in any case). Azure's rule,
        checked where the password is sent (a new server's before any write, with O(update_password=true) before any
        call), where Azure would let the create fail minutes later. Required to create. Never logged, never returned.
    type: str
  update_password:
    description: Send O(administrator_login_password) to an existing server (Azure cannot tell whether it differs).
    type: bool
    default: false
  databases:
    description: Databases of the server. Left alone when omitted.
    type: list
    elements: dict
    suboptions:
      name:
        description: Database name.
        type: str
        required: true
      charset:
        description: Character set. Default when the database is created V(UTF8); compared only when given.
        type: str
      collation:
        description: Collation. Default when the database is created V(en_US.utf8); compared only when given.
        type: str
  purge_databases:
    description: Delete databases that are not in O(databases) (Azure's system databases are never touched).
    type: bool
    default: false
  parameters:
    description:
      - Server parameters, name to value, for example C(require_secure_transport=on), C(azure.extensions=PGAUDIT,PGCRYPTO).
        Comma lists compare as sets, case-insensitively. Parameters not listed are left alone.
      - With O(wait=false) they are not written (a later task with O(wait=true) writes them), but on an existing server
        their names are checked before its change is started, so that a misspelt name fails before anything is written.
    type: dict
  restart:
    description:
      - Restart an existing server when a changed parameter needs it (otherwise RV(restart_required) lists them).
      - A server created by this task is restarted for its static parameters whatever this option says.
    type: bool
    default: false
  identity:
    description:
      - The server's user-assigned managed identities (the identity that reads a customer-managed key).
      - Compared when given; an identity not listed is removed from the server.
    type: dict
    suboptions:
      type:
        description: V(UserAssigned) (the only kind a flexible server takes for data encryption).
        type: str
        default: UserAssigned
        choices: [UserAssigned]
      user_assigned_identities:
        description: Resource ids of the user-assigned identities.
        type: list
        elements: str
        required: true
  data_encryption:
    description:
      - Data encryption with a customer-managed key (C(dataEncryption) of type C(AzureKeyVault)). Azure takes it only when
        the server is created; a server created with system-managed keys is refused before any call
        (learn.microsoft.com azure/postgresql/flexible-server/concepts-data-encryption, "Limitations").
      - On an existing server, a different O(data_encryption.primary_key_uri) is a key rotation (one PATCH).
      - Key URIs are versioned (C(https://<vault>/keys/<name>/<version>)); the identities must be listed in O(identity).
    type: dict
    suboptions:
      primary_key_uri:
        description: The key identifier with its version (module M(complianceflow.infra.key_vault_key) returns it as C(key.id)).
        type: str
        required: true
      primary_user_assigned_identity_id:
        description: Resource id of the identity that reads the key (it needs the key role).
        type: str
        required: true
      geo_backup_key_uri:
        description: With geo-redundant backup, a key of a vault in the backup's (paired) region.
        type: str
      geo_backup_user_assigned_identity_id:
        description: With geo-redundant backup, the identity that reads the geo key (another identity than the primary one).
        type: str
  state:
    description: V(present) creates or updates; V(absent) deletes the server with its databases.
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.azure
  - complianceflow.infra.azure.TAGS
  - complianceflow.infra.azure.RESOURCE
  - complianceflow.infra.azure.WAIT
attributes:
  diff_mode:
    details:
      - Shows before and after of the server settings given (the whole new server when it is created), the database names
        when O(databases) is given and the parameters given; never the password.
  idempotent:
    details: Idempotent unless O(update_password=true).
requirements:
  - azure-mgmt-postgresqlflexibleservers >= 1.0
  - azure-mgmt-network
  - azure-mgmt-privatedns
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: The deployment's server in its delegated subnet, with the tier's databases and hardened parameters
  complianceflow.infra.postgresql_flexible_server:
    resource_group: rg-cf-westeu-dev-1
    name: psql-cf-westeu-dev-1
    location: westeurope
    version: "15"
    sku_name: B_Standard_B1ms
    tier: Burstable
    storage_size_gb: 32
    backup_retention_days: 7
    delegated_subnet_id: "{{ subnet_id }}"
    private_dns_zone_id: "{{ zone_id }}"
    administrator_login: psqladmin
    administrator_login_password: "{{ admin_secret.value }}"
    databases: [{name: user_service}, {name: form_service}]
    parameters:
      require_secure_transport: "on"
      ssl_min_protocol_version: TLSv1.2
      azure.extensions: PGAUDIT,PGCRYPTO,UUID-OSSP
      shared_preload_libraries: pgaudit,pg_stat_statements
      pgaudit.log: read,write,ddl,role
    tags: {Deployment: westeu-dev-1}

- name: Longer backup retention on the existing server; nothing else is compared or changed
  complianceflow.infra.postgresql_flexible_server:
    resource_group: rg-cf-westeu-dev-1
    name: psql-cf-westeu-dev-1
    backup_retention_days: 14

- name: Add a tag, keeping the server's other tags
  complianceflow.infra.postgresql_flexible_server:
    resource_group: rg-cf-westeu-dev-1
    name: psql-cf-westeu-dev-1
    tags: {Owner: platform}
    purge_tags: false
"""

RETURN = r"""
server:
  description: The server after the task (predicted in check mode); only its C(id) after V(absent) deleted it.
  returned: always
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
      description: Server state (V(Ready); V(Inaccessible) when its customer-managed key cannot be used).
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
databases:
  description: Names of the server's databases after the task (system databases included).
  returned: always
  type: list
  elements: str
parameters:
  description: The values of the parameters given in O(parameters), after the task.
  returned: always
  type: dict
restart_required:
  description: Parameters whose new value waits for a server restart (empty after O(restart=true)).
  returned: always
  type: list
  elements: str
restarted:
  description: Whether the server was restarted (O(restart=true) with parameters waiting for it).
  returned: when O(state=present)
  type: bool
created:
  description:
    - Whether this task created the server (or, with O(wait=false), started its create; predicted in check mode). A
      later task that applies the new server's O(parameters) passes O(restart=true) when it is true, as one task
      with O(wait=true) does by itself for a new server (roles/postgresql_server, tasks_from wait).
  returned: when O(state=present)
  type: bool
connection:
  description:
    - How clients reach the server. C(host) is the FQDN (also the TLS server name), C(port) 5432 in Azure, C(user) the
      administrator login. C(hostaddr) appears only where the ARM endpoint says the FQDN lands elsewhere (the local
      emulator), for libpq's C(hostaddr).
  returned: when the server exists
  type: dict
  contains:
    host:
      description: The FQDN.
      type: str
      sample: psql-cf-westeu-dev-1.postgres.database.azure.com
    port:
      description: The port.
      type: int
      sample: 5432
    user:
      description: The administrator login.
      type: str
    sslmode:
      description: V(require) (the collection's servers require TLS).
      type: str
    hostaddr:
      description: The address the FQDN lands on, only where the ARM endpoint reports one (the local emulator).
      type: str
      returned: when the ARM endpoint reports it
operation:
  description:
    - With O(wait=false), the long-running create or update that was started, to pass to
      M(complianceflow.infra.operation_wait). It holds ARM's polling URLs and the resource id, never a secret.
  returned: when O(wait=false) and Azure runs the write as a long-running operation
  type: dict
"""

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import STATE_SPEC, TAGS_SPEC, WAIT_SPEC, AzureModule
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.postgresql_server import FlexibleServer
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import run

# No defaults here: an option left unset is not compared on an existing server (create-time defaults live in
# _azure_postgresql.CREATE_DEFAULTS and DATABASE_DEFAULTS).
DB_SPEC = dict(
    name={"type": "str", "required": True},
    charset={"type": "str"},
    collation={"type": "str"},
)


def main():
    module = AzureModule(
        argument_spec=dict(
            resource_group={"type": "str", "required": True},
            name={"type": "str", "required": True},
            location={"type": "str"},
            version={"type": "str", "choices": ["12", "13", "14", "15", "16", "17"]},
            sku_name={"type": "str"},
            tier={"type": "str", "choices": ["Burstable", "GeneralPurpose", "MemoryOptimized"]},
            storage_size_gb={"type": "int"},
            storage_auto_grow={"type": "bool"},
            backup_retention_days={"type": "int"},
            geo_redundant_backup={"type": "bool"},
            high_availability={"type": "str", "choices": ["Disabled", "SameZone", "ZoneRedundant"]},
            availability_zone={"type": "str"},
            standby_availability_zone={"type": "str"},
            delegated_subnet_id={"type": "str"},
            private_dns_zone_id={"type": "str"},
            administrator_login={"type": "str"},
            administrator_login_password={"type": "str", "no_log": True},
            update_password={"type": "bool", "default": False, "no_log": False},
            databases={"type": "list", "elements": "dict", "options": DB_SPEC},
            purge_databases={"type": "bool", "default": False},
            parameters={"type": "dict"},
            restart={"type": "bool", "default": False},
            identity={"type": "dict", "options": {"type": {"type": "str", "default": "UserAssigned", "choices": ["UserAssigned"]},
                                                  "user_assigned_identities": {"type": "list", "elements": "str", "required": True}}},
            data_encryption={"type": "dict", "options": {"primary_key_uri": {"type": "str", "required": True, "no_log": False},
                                                         "primary_user_assigned_identity_id": {"type": "str", "required": True},
                                                         "geo_backup_key_uri": {"type": "str", "no_log": False},
                                                         "geo_backup_user_assigned_identity_id": {"type": "str"}}},
            **STATE_SPEC,
            **WAIT_SPEC,
            **TAGS_SPEC,
        ),
        required_if=[("update_password", True, ("administrator_login_password",))],
    )
    run(FlexibleServer(module))


if __name__ == "__main__":
    main()
