"""End to end in the emulator: roles resource_group, network, key_vault and postgresql_server build
westeu-dev-1; the database roles then create the eight service databases, apply schemas with RLS and
seed them on the local PostgreSQL behind the server's FQDN. Both runs at -vvv: the admin password
never appears; the second run changes nothing and does not rotate the password."""
from __future__ import annotations

import re

import psycopg
from ansible_run import REPO, run_playbook
from azure_play import arm_id, resource

AZURE_PLAY = """
- name: Azure resources of the deployment
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    deployment_plan: "{{ 'westeu-dev-1' | complianceflow.infra.deployment }}"
  roles:
    - complianceflow.infra.resource_group
    - complianceflow.infra.network
    - complianceflow.infra.key_vault
    - complianceflow.infra.postgresql_server
"""
DATABASE_PLAY = """
- name: Database tier on the server, admin password from the Key Vault
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    deployment_plan: "{{ 'westeu-dev-1' | complianceflow.infra.deployment }}"
    postgresql_login_host: "{{ postgresql_server_connection.host }}"
    postgresql_login_port: "{{ postgresql_server_connection.port }}"
    postgresql_login_user: "{{ postgresql_server_connection.user }}"
    postgresql_login_password: "{{ postgresql_server_admin_password }}"
    postgresql_ssl_mode: "{{ postgresql_server_connection.ssl_mode }}"
  vars_files: [REPO/playbooks/vars/postgresql_login.yml]
  module_defaults:
    group/complianceflow.infra.postgresql: "{{ postgresql_login_options }}"
  environment: "{{ postgresql_server_libpq_env }}"
  roles:
    - complianceflow.infra.database_setup
    - complianceflow.infra.database_schema
    - complianceflow.infra.database_seed
"""
PLAYBOOK = AZURE_PLAY + DATABASE_PLAY.replace("REPO/", str(REPO) + "/")
RG = "rg-cf-westeu-dev-1"
SERVICES = ["user_service", "form_service", "rule_service", "declaration_service", "review_service", "case_service",
            "notification_service", "analytics_service"]


def recap_changed(stdout: str) -> int:
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", stdout)
    assert match, stdout[-3000:]
    return int(match.group(1))


def test_westeu_dev_1_vault_server_and_database_tier(awx_env, emu, local_pg):
    # Check mode on a deployment that does not exist yet: predicted, nothing written.
    mark = emu.request_count()
    check = run_playbook("# e2e check\n" + AZURE_PLAY, check=True, env=awx_env, json_output=False, timeout=600)
    assert check.rc == 0, check.stdout[-4000:]
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]
    assert resource(emu, arm_id(emu, RG)) is None

    first = run_playbook("# e2e\n" + PLAYBOOK, verbosity=3, env=awx_env, json_output=False, timeout=600)
    assert first.rc == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert recap_changed(first.stdout) > 0

    vaults = [d for d in emu.admin("GET", "state")["resources"].values() if d.get("type") == "Microsoft.KeyVault/vaults"
              and d["id"].lower().startswith(arm_id(emu, RG).lower() + "/")]
    assert len(vaults) == 1
    vault = vaults[0]
    props = vault["properties"]
    assert vault["name"].startswith("kv-cf-westeu-dev-1") and vault["tags"]["Deployment"] == "westeu-dev-1"
    assert props["enableRbacAuthorization"] is True and not props.get("enablePurgeProtection")  # dev: no purge protection
    assert props["networkAcls"]["defaultAction"] == "Deny"
    # Only the subnets whose workloads read secrets, each with the Microsoft.KeyVault endpoint the rule needs.
    assert {r["id"].rsplit("/", 1)[-1] for r in props["networkAcls"]["virtualNetworkRules"]} == {
        "snet-cf-westeu-dev-1-apps", "snet-cf-westeu-dev-1-mgmt"}
    assert not any(r["ignoreMissingVnetServiceEndpoint"] for r in props["networkAcls"]["virtualNetworkRules"])
    versions = vault["_secrets"]["postgresql-admin-password"]
    assert len(versions) == 1
    password = versions[0]["value"]
    assert len(password) == 32
    assert password not in first.stdout + first.stderr

    server = resource(emu, arm_id(emu, RG, "Microsoft.DBforPostgreSQL/flexibleServers/psql-cf-westeu-dev-1"))
    sprops = server["properties"]
    assert server["sku"] == {"name": "Standard_B1ms", "tier": "Burstable"}
    assert (sprops["version"], sprops["storage"]["storageSizeGB"], sprops["backup"]["backupRetentionDays"],
            sprops["backup"]["geoRedundantBackup"], sprops["highAvailability"]["mode"]) == ("15", 32, 7, "Disabled", "Disabled")
    assert sprops["network"]["delegatedSubnetResourceId"].endswith("/subnets/snet-cf-westeu-dev-1-db")
    assert sprops["network"]["privateDnsZoneArmResourceId"].endswith("/privateDnsZones/privatelink.postgres.database.azure.com")
    configs = server["_configurations"]
    # Azure's defaults already match these two (stored only when overridden): either way the value must be right.
    assert configs.get("require_secure_transport", {}).get("value", "on") == "on"
    assert configs.get("ssl_min_protocol_version", {}).get("value", "TLSv1.2") == "TLSv1.2"
    assert configs["pgaudit.log"]["value"] == "ddl,role,write" and configs["pgaudit.log_relation"]["value"] == "on"
    assert "pgaudit" in configs["azure.extensions"]["value"] and "pgaudit" in configs["shared_preload_libraries"]["value"]
    assert {d["name"] for d in server["_databases"]} >= set(SERVICES)
    # One call seeds the whole tier (the databases list form): its task reports the change.
    seeding = first.stdout[first.stdout.index("TASK [complianceflow.infra.database_seed : Seed data"):]
    seeding = seeding.split("\nTASK [", 1)[0]
    assert "changed: [localhost]" in seeding, seeding[:2000]
    for service in SERVICES:
        assert f'"name": "{service}"' in seeding, service

    # The database tier's work is on the local PostgreSQL, reached by the server's FQDN over TLS.
    with psycopg.connect(host="psql-cf-westeu-dev-1.postgres.database.azure.com", hostaddr="127.0.0.1", port=local_pg.port,
                         user="psqladmin", password=password, dbname="user_service", sslmode="require") as conn:
        owner, = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'user_service'").fetchone()
        rls = conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'public.roles'::regclass").fetchone()
        dbs = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert owner == "user_service_owner" and rls == (True, True) and dbs >= set(SERVICES)

    mark = emu.request_count()
    second = run_playbook("# e2e\n" + PLAYBOOK, verbosity=3, env=awx_env, json_output=False, timeout=600)
    assert second.rc == 0, second.stdout[-4000:]
    assert recap_changed(second.stdout) == 0
    assert password not in second.stdout + second.stderr
    assert not [r for r in emu.requests(since=mark) if r["method"] in ("PUT", "PATCH", "DELETE")]
    vault = resource(emu, vault["id"])
    assert [v["version"] for v in vault["_secrets"]["postgresql-admin-password"]] == [versions[0]["version"]]
