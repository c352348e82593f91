# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by the complianceflow.infra.postgresql_* modules."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host name or IP address of the PostgreSQL server (the Azure Flexible Server FQDN, or a local server).
    type: str
    required: true
  login_port:
    description: TCP port of the server.
    type: int
    default: 5432
  login_user:
    description:
      - The admin role to log in as. It needs C(LOGIN CREATEDB CREATEROLE) only; no superuser is ever used.
    type: str
    required: true
  login_password:
    description: Password of O(login_user). Never logged, never returned.
    type: str
    required: true
  ssl_mode:
    description:
      - libpq C(sslmode). Azure Flexible Server requires TLS, hence the default.
      - Use V(verify-full) with O(ssl_rootcert) to also verify the server's certificate and name.
    type: str
    default: require
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ssl_rootcert:
    description: File with the CA certificate(s) that signed the server certificate (for V(verify-ca) and V(verify-full)).
    type: path
  connect_timeout:
    description: Seconds to wait for a connection.
    type: int
    default: 10
requirements:
  - psycopg >= 3.1 (C(pip install 'psycopg[binary]')) on the host that runs the module.
notes:
  - Values are always sent as bind parameters and identifiers are quoted. The return value RV(queries) lists the
    statements that changed something (or would have, in check mode) with placeholders, never the values.
  - Nothing relies on session state, so the modules work behind a transaction-mode connection pooler.
"""

    # Modules that work inside one tier database (see postgresql_tier for the role names).
    DATABASE = r"""
options:
  database:
    description: The tier database to work in.
    type: str
    required: true
  owner:
    description: Owner role of the database (DDL and reference data run as it). Defaults to C(<database>_owner).
    type: str
  app_role:
    description:
      - The app role (the C(tenant_isolation) policy targets it; tenant rows are read and written as it). Defaults to
        C(<database>_app).
    type: str
  tenant_column:
    description: Name of the tenant column; every table that has it is a tenant table.
    type: str
    default: tenant_id
"""

    # The same modules with the list form (one invocation for several databases; module_utils/_pg/multi.py).
    # A module with per-database options (path) documents `databases` in full: a fragment's suboptions are not merged.
    DATABASES = r"""
options:
  database:
    description:
      - The tier database to work in (the single database form).
      - Exactly one of O(database) and O(databases) is required.
    type: str
  databases:
    description:
      - Several tier databases in one invocation (the list form), handled one after another in list order, each exactly as
        O(database) would be, in its own transaction(s).
      - Every entry is validated (names, files) before the first connection, so a bad entry fails before anything is done
        to any database.
      - A failure stops the run at that database; the databases before it stay done. The failure message names the
        database and the ones done before it, and RV(databases) holds the result of each.
      - The next database's connection is opened while the one before it is worked on (nothing runs in it before its
        turn; after a failure it is closed unused).
      - Mutually exclusive with O(database), O(owner) and O(app_role).
    type: list
    elements: dict
    suboptions:
      name:
        description: The database.
        type: str
        required: true
      owner:
        description: Owner role. Defaults to C(<name>_owner).
        type: str
      app_role:
        description: App role. Defaults to C(<name>_app).
        type: str
      tenant_column:
        description: Name of the tenant column. Defaults to O(tenant_column).
        type: str
  owner:
    description: Owner role of the database (DDL and reference data run as it). Defaults to C(<database>_owner).
    type: str
  app_role:
    description:
      - The app role (the C(tenant_isolation) policy targets it; tenant rows are read and written as it). Defaults to
        C(<database>_app).
    type: str
  tenant_column:
    description:
      - Name of the tenant column; every table that has it is a tenant table.
      - With O(databases), the default of each entry's C(tenant_column).
    type: str
    default: tenant_id
"""

    DATABASES_AT_ONCE = r"""
options:
  databases_at_once:
    description:
      - How many databases of O(databases) are worked on at the same time, each on a connection of its own and in its own
        transaction(s), taken in list order.
      - V(1) (the default) works on them one after another; a failure stops the run at that database and leaves the later
        ones untouched.
      - Above V(1), up to that many side by side. After a failure no further database is started; the ones already started
        finish, each done or rolled back as it would be alone. The failure message names each failed database, the ones
        done (which stay done) and the ones not started, and RV(databases) holds the result of each database started.
      - Each database at once is one more connection to the server (a Burstable B1ms server allows 35 user connections). From
        a controller far from its server (a laptop over a VPN), the step takes about its slowest database's time instead of
        the sum, since every statement and every connection's set-up waits a round trip.
      - From V(1) to V(8); checked before the first connection. Only with O(databases).
    type: int
    default: 1
"""
