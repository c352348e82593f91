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
