"""Pure logic of the Key Vault and PostgreSQL Flexible Server modules (no SDK, no network)."""
from __future__ import annotations

import re
import string

import pytest
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import key_vault as kv
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import key_vault_secret as secret
from ansible_collections.complianceflow.infra.plugins.module_utils._azure import postgresql as pg
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/db"


# --- passwords -------------------------------------------------------------------------------

def test_generated_passwords_have_all_four_classes_and_differ():
    seen = set()
    for _round in range(200):
        password = secret.generate_password(32)
        assert len(password) == 32 and password[0].isalpha()
        for cls in (string.ascii_uppercase, string.ascii_lowercase, string.digits, secret.PASSWORD_SYMBOLS):
            assert any(c in cls for c in password)
        assert not set(password) - set("".join(secret.PASSWORD_CLASSES))
        assert secret.password_problems(password, "psqladmin") == []
        seen.add(password)
    assert len(seen) == 200


def test_generated_passwords_hold_no_part_of_any_login():
    """Azure refuses an administrator password holding three or more consecutive alphanumerics of the login (on a real
    server the create failed minutes later): a generated one never has three in a row, whatever the login."""
    for _round in range(2000):
        password = secret.generate_password(32)
        assert re.search(r"[A-Za-z0-9]{3}", password) is None, "three alphanumerics in a row"
        assert "_" not in password   # a PostgreSQL login may hold it
        # the sandbox's longest login, and a login made of the password's own letters and digits
        assert not secret.holds_login_part(password, "psqladminwesteudev1")
        assert not secret.holds_login_part(password, "".join(c for c in password if c.isalnum())[:20])


@pytest.mark.parametrize("length", [7, 129])
def test_password_length_outside_azure_range_is_refused(length):
    with pytest.raises(AzureInputError, match="8-128"):
        secret.generate_password(length)


@pytest.mark.parametrize("password,problem", [
    ("Ab1-", "4 characters"),
    ("alllowercase99", "fewer than three"),
    ("Psqladmin-Is-Here-1", "contains the login"),
    ("Xy-9!ADm.q", "part of it"),       # 'adm' of psqladmin, in another case
    ("Kq-7!sql.x", "part of it"),
])
def test_password_problems_name_the_rule_not_the_password(password, problem):
    problems = secret.password_problems(password, "psqladmin")
    assert any(problem in p for p in problems)
    assert not any(password in p for p in problems)


def test_the_login_rule_holds_where_the_password_is_sent():
    """An existing server's password is not sent (no update_password): one made before the rule covered part of the
    login must not stop that server's runs. Sent (update_password), it is held to the rule before any call."""
    spec = {"name": "psql-cf-westeu-dev-1", "administrator_login": "psqladmin", "administrator_login_password": "Xy-9!ADm.q"}
    pg.validate_server(spec)
    with pytest.raises(AzureInputError, match="part of it"):
        pg.validate_server(dict(spec, update_password=True))
    with pytest.raises(AzureInputError, match="part of it"):   # what the module calls for a create
        pg.check_password(spec["administrator_login_password"], spec["administrator_login"])


def test_two_letters_of_the_login_or_a_split_part_are_fine():
    # a part is three or more consecutive alphanumerics of the login: two, or three split by a symbol, are not one
    assert secret.password_problems("Xy-9!ad.mq", "psqladmin") == []
    assert secret.password_problems("Xy-9!ps-ql", "psqladmin") == []


# --- vaults --------------------------------------------------------------------------------

def spec(**over):
    base = dict(name="kv-cf-test-1", resource_group="rg", sku="standard", enable_rbac_authorization=True,
                soft_delete_retention_days=90, enable_purge_protection=False, public_network_access="Enabled",
                network_acls={"default_action": "Deny", "bypass": "AzureServices", "ip_rules": [],
                              "virtual_network_subnet_ids": ["vnet/db"], "ignore_missing_vnet_service_endpoint": True},
                tags={"a": "b"}, purge_tags=True)
    base.update(over)
    return base


def existing_vault(**props):
    base = {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True,
            "softDeleteRetentionInDays": 90, "publicNetworkAccess": "Enabled", "vaultUri": "https://kv-cf-test-1.vault.azure.net/",
            "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [],
                            "virtualNetworkRules": [{"id": SUBNET.lower(), "ignoreMissingVnetServiceEndpoint": True}]}}
    base.update(props)
    return {"id": "/x/kv-cf-test-1", "name": "kv-cf-test-1", "location": "westeurope", "tags": {"a": "b"}, "properties": base}


@pytest.mark.parametrize("name", ["kv", "1kv-abc", "kv--abc", "kv-abc-", "k" * 25, "kv_abc"])
def test_bad_vault_names(name):
    with pytest.raises(AzureInputError, match="not a valid Key Vault name"):
        kv.validate_vault_name(name)


def test_subnets_by_name_expand_to_ids_and_match_azure_lowercase():
    plan = kv.plan_vault(existing_vault(), spec(), TENANT, SUB)
    assert plan.changed is False
    created = kv.plan_vault(None, spec(), TENANT, SUB)
    assert created.action == "create" and created.body["properties"]["networkAcls"]["virtualNetworkRules"][0]["id"] == SUBNET.lower()
    assert "enablePurgeProtection" not in created.body["properties"]


def test_vault_update_patches_only_differences_and_refuses_what_azure_cannot_change():
    plan = kv.plan_vault(existing_vault(), spec(enable_purge_protection=True, tags={"a": "c"}), TENANT, SUB)
    assert plan.body == {"properties": {"enablePurgeProtection": True}, "tags": {"a": "c"}}
    with pytest.raises(AzureInputError, match="never turns off"):
        kv.plan_vault(existing_vault(enablePurgeProtection=True), spec(), TENANT, SUB)
    with pytest.raises(AzureInputError, match="cannot be changed"):
        kv.plan_vault(existing_vault(), spec(soft_delete_retention_days=30), TENANT, SUB)
    with pytest.raises(AzureInputError, match="neither a subnet resource id"):
        kv.plan_vault(None, spec(network_acls=dict(spec()["network_acls"], virtual_network_subnet_ids=["/bad/id"])), TENANT, SUB)


def test_an_option_not_given_keeps_the_existing_vaults_value_and_gives_a_new_vault_the_documented_one():
    """A task that names only the vault (say, to add a tag) must not reopen a locked-down vault, switch it back to
    access policies' opposite, or fail on its retention and purge protection: only the options given are compared."""
    locked = existing_vault(sku={"family": "A", "name": "premium"}, enableRbacAuthorization=False, publicNetworkAccess="Disabled",
                            softDeleteRetentionInDays=30, enablePurgeProtection=True)
    minimal = {"name": "kv-cf-test-1", "resource_group": "rg", "tags": {"a": "b", "owner": "platform"}, "purge_tags": True}
    plan = kv.plan_vault(locked, minimal, TENANT, SUB)
    assert plan.body == {"tags": {"a": "b", "owner": "platform"}}
    assert kv.plan_vault(locked, dict(minimal, tags=None), TENANT, SUB).action == "none"
    assert kv.plan_vault(locked, dict(minimal, public_network_access="Enabled"), TENANT, SUB).body["properties"] == {
        "publicNetworkAccess": "Enabled"}
    created = kv.plan_vault(None, dict(minimal, location="westeurope"), TENANT, SUB)
    assert {key: created.body["properties"][key] for key in ("sku", "enableRbacAuthorization", "softDeleteRetentionInDays",
                                                             "publicNetworkAccess")} == {
        "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True, "softDeleteRetentionInDays": 90,
        "publicNetworkAccess": "Enabled"}
    assert "enablePurgeProtection" not in created.body["properties"]


def test_secret_never_rotates_unless_asked():
    meta = {"name": "s", "tags": {}, "content_type": "password"}
    assert secret.plan_secret(None, None, {"name": "s"})["action"] == "create"
    assert secret.plan_secret(meta, "old", {"name": "s", "generate": True})["action"] == "none"
    kept = secret.plan_secret(meta, "old-Value", {"name": "s", "value": "given-Value"})
    assert kept["action"] == "none" and "left unchanged" in kept["warning"] and "Value" not in kept["warning"]
    assert secret.plan_secret(meta, "old", {"name": "s", "value": "new", "force": True})["action"] == "new_version"
    assert secret.plan_secret(meta, "old", {"name": "s", "value": "old", "force": True})["action"] == "none"
    assert secret.plan_secret(meta, "old", {"name": "s", "generate": True, "rotate": True})["action"] == "new_version"
    assert secret.plan_secret(meta, "old", {"name": "s", "generate": True, "tags": {"x": "y"}})["action"] == "update_properties"


def test_secret_limits_azure_has_are_refused_without_the_value():
    """about-secrets: 15 tags, 25 KB values, a 255-character content type; a kept tag counts (purge_tags=false)."""
    secret.check_secret_value("a" * 25 * 1024, "x" * 255)   # at the limits: accepted
    with pytest.raises(AzureInputError, match=r"value: the secret has 25601 bytes; Key Vault stores at most 25600") as refused:
        secret.check_secret_value("é" + "a" * (25 * 1024 - 1), None)   # é is two bytes in UTF-8
    assert "aaaa" not in str(refused.value)
    with pytest.raises(AzureInputError, match="content_type: 256 characters"):
        secret.check_secret_value("short", "x" * 256)
    meta = {"name": "s", "tags": {f"Old{i}": "x" for i in range(10)}, "content_type": None}
    with pytest.raises(AzureInputError, match="a Key Vault secret would have 16 tags; Azure allows at most 15"):
        secret.plan_secret(meta, "v", {"name": "s", "tags": {f"New{i}": "x" for i in range(6)}, "purge_tags": False})


# --- PostgreSQL ----------------------------------------------------------------------------

def server_spec(**over):
    base = dict(name="psql-cf-westeu-dev-1", version="15", sku_name="GP_Standard_D4s_v3", tier="GeneralPurpose",
                storage_size_gb=128, storage_auto_grow=False, backup_retention_days=35, geo_redundant_backup=True,
                high_availability="ZoneRedundant", availability_zone=None, standby_availability_zone=None,
                delegated_subnet_id=SUBNET, private_dns_zone_id="/z/privatelink.postgres.database.azure.com",
                administrator_login="psqladmin", administrator_login_password="Xy-" + "a1B" * 5,
                update_password=False, databases=None, tags={"a": "b"}, purge_tags=True)
    base.update(over)
    return base


@pytest.mark.parametrize("sku,tier,expected", [
    ("GP_Standard_D4s_v3", "GeneralPurpose", "Standard_D4s_v3"),
    ("Standard_D4s_v3", "GeneralPurpose", "Standard_D4s_v3"),
    ("B_Standard_B1ms", "Burstable", "Standard_B1ms"),
])
def test_sku_names_accept_terraform_prefix(sku, tier, expected):
    assert pg.normalize_sku(sku, tier) == {"name": expected, "tier": tier}


@pytest.mark.parametrize("sku,tier,message", [
    ("GP_Standard_D4s_v3", "Burstable", "another tier"),
    ("Standard_E4s_v3", "GeneralPurpose", "not a GeneralPurpose size"),
    ("D4s", "GeneralPurpose", "not a GeneralPurpose size"),
])
def test_sku_mismatches_are_explained(sku, tier, message):
    with pytest.raises(AzureInputError, match=message):
        pg.normalize_sku(sku, tier)


def test_prod_create_body_matches_the_seed_tfvars():
    plan = pg.plan_server(None, server_spec(), "westeurope")
    body = plan["body"]
    assert body["sku"] == {"name": "Standard_D4s_v3", "tier": "GeneralPurpose"}
    props = body["properties"]
    assert props["storage"]["storageSizeGB"] == 128 and props["backup"] == {"backupRetentionDays": 35, "geoRedundantBackup": "Enabled"}
    assert props["highAvailability"] == {"mode": "ZoneRedundant"}
    assert props["network"]["delegatedSubnetResourceId"] == SUBNET


def as_existing(spec_: dict) -> dict:
    body = pg.create_body(spec_, "westeurope", spec_["tags"])
    props = dict(body["properties"], fullyQualifiedDomainName="x.postgres.database.azure.com", state="Ready")
    del props["administratorLoginPassword"]  # Azure never returns it
    return {"id": "/x", "name": spec_["name"], "location": "westeurope", "sku": body["sku"], "tags": body["tags"], "properties": props}


def test_existing_server_is_unchanged_and_password_is_not_resent():
    existing = as_existing(server_spec())
    plan = pg.plan_server(existing, server_spec(administrator_login_password="Other-Passw0rd!"), "westeurope")
    assert plan["changed"] is False
    plan = pg.plan_server(existing, server_spec(update_password=True), "westeurope")
    assert plan["patch"] == {"properties": {"administratorLoginPassword": server_spec()["administrator_login_password"]}}
    assert "Xy-" not in str(plan["after"]) + str(plan["before"])


def test_server_updates_and_immutable_settings():
    existing = as_existing(server_spec())
    plan = pg.plan_server(existing, server_spec(storage_size_gb=256, backup_retention_days=14), "westeurope")
    assert plan["patch"] == {"properties": {"storage": {"storageSizeGB": 256}, "backup": {"backupRetentionDays": 14}}}
    with pytest.raises(AzureInputError) as err:
        pg.plan_server(existing, server_spec(storage_size_gb=64, geo_redundant_backup=False, version="16"), "westeurope")
    assert "never shrink" in str(err.value) and "geo_redundant_backup" in str(err.value) and "version" in str(err.value)


def test_a_server_azure_grew_by_auto_grow_is_no_change_on_a_re_run_and_a_real_shrink_is_still_refused():
    """With storage auto-grow on, Azure raises the size as the disk fills: the same task run again (128 GB asked, the
    server now 256 GB) changes nothing and does not fail; with auto-grow off, or turned off by the task, 128 is a shrink."""
    grown = as_existing(server_spec(storage_size_gb=256, storage_auto_grow=True))
    plan = pg.plan_server(grown, server_spec(storage_auto_grow=True), "westeurope")
    assert plan["changed"] is False and plan["after"]["storage_size_gb"] == 256
    assert pg.plan_server(grown, server_spec(storage_auto_grow=None), "westeurope")["changed"] is False
    assert pg.plan_server(grown, server_spec(storage_auto_grow=True, storage_size_gb=512), "westeurope")["patch"] == {
        "properties": {"storage": {"storageSizeGB": 512}}}
    with pytest.raises(AzureInputError, match="storage can grow, never shrink"):
        pg.plan_server(grown, server_spec(storage_auto_grow=False), "westeurope")
    with pytest.raises(AzureInputError, match="storage can grow, never shrink"):
        pg.plan_server(as_existing(server_spec(storage_size_gb=256)), server_spec(), "westeurope")


def bare(**over):
    """What the module passes when the task gives only these options (everything else unset)."""
    spec = {k: None for k in server_spec()}
    spec.update(name="psql-cf-westeu-dev-1", update_password=False, purge_tags=True)
    spec.update(over)
    return spec


def test_existing_server_with_only_its_name_is_left_alone():
    existing = as_existing(server_spec())
    plan = pg.plan_server(existing, bare(), None)
    assert plan == {"changed": False, "create": False, "patch": {}, "before": {}, "after": {}}


def test_existing_server_compares_only_the_options_given():
    existing = as_existing(server_spec())
    plan = pg.plan_server(existing, bare(backup_retention_days=14), None)
    assert plan["patch"] == {"properties": {"backup": {"backupRetentionDays": 14}}}
    assert plan["before"] == {"backup_retention_days": 35} and plan["after"] == {"backup_retention_days": 14}
    plan = pg.plan_server(existing, bare(tags={"c": "d"}, purge_tags=False), None)
    assert plan["patch"] == {"tags": {"a": "b", "c": "d"}} and set(plan["after"]) == {"tags"}
    # A size of the same tier: the tier follows from the size.
    plan = pg.plan_server(existing, bare(sku_name="Standard_D8s_v3"), None)
    assert plan["patch"] == {"sku": {"name": "Standard_D8s_v3", "tier": "GeneralPurpose"}}
    assert pg.plan_server(existing, bare(sku_name="GP_Standard_D4s_v3", storage_auto_grow=False), None)["changed"] is False


def test_existing_server_refuses_what_cannot_change_only_when_given():
    existing = as_existing(server_spec(sku_name="B_Standard_B1ms", tier="Burstable", high_availability="Disabled"))
    with pytest.raises(AzureInputError, match="tier .*needs sku_name"):
        pg.plan_server(existing, bare(tier="GeneralPurpose"), None)
    with pytest.raises(AzureInputError, match="high_availability .*Burstable"):
        pg.plan_server(existing, bare(high_availability="ZoneRedundant"), None)
    with pytest.raises(AzureInputError, match="delegated_subnet_id"):
        pg.plan_server(existing, bare(delegated_subnet_id=SUBNET.replace("/db", "/other")), None)
    assert pg.plan_server(existing, bare(delegated_subnet_id=SUBNET.upper()), None)["changed"] is False


def test_missing_server_names_every_option_a_create_needs():
    with pytest.raises(AzureInputError) as err:
        pg.plan_server(None, bare(backup_retention_days=14), None)
    for option in pg.CREATE_REQUIRED:
        assert option in str(err.value)
    assert pg.missing_for_create(dict(server_spec(), location="westeurope")) == []


def test_create_defaults_fill_only_unset_options():
    spec = bare(**{k: server_spec()[k] for k in ("version", "sku_name", "delegated_subnet_id", "private_dns_zone_id",
                                                 "administrator_login", "administrator_login_password")})
    plan = pg.plan_server(None, spec, "westeurope")
    props = plan["body"]["properties"]
    assert plan["body"]["sku"] == {"name": "Standard_D4s_v3", "tier": "GeneralPurpose"}
    assert props["storage"] == {"storageSizeGB": 32, "autoGrow": "Disabled"}
    assert props["backup"] == {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"}
    assert props["highAvailability"] == {"mode": "Disabled"}
    assert plan["after"]["backup_retention_days"] == 7 and plan["after"]["tags"] == {}
    assert "administrator_login_password" not in plan["after"]


@pytest.mark.parametrize("sku,tier", [("Standard_B2s", "Burstable"), ("GP_Standard_D2s_v3", "GeneralPurpose"),
                                      ("Standard_E4ds_v5", "MemoryOptimized"), ("Standard_X1", None)])
def test_tier_follows_from_the_size(sku, tier):
    assert pg.infer_tier(sku) == tier


@pytest.mark.parametrize("over,message", [
    ({"name": "PSQL"}, "not a valid server name"),
    ({"administrator_login": "azure_superuser"}, "not allowed"),
    ({"administrator_login": "pg_admin"}, "not allowed"),
    ({"storage_size_gb": 100}, "not an Azure size"),
    ({"backup_retention_days": 3}, "7-35"),
    ({"tier": "Burstable", "sku_name": "Standard_B1ms"}, "Burstable"),
    ({"sku_name": "Standard_X1", "tier": None}, "not a size of a known tier"),
    ({"databases": [{"name": "bad name"}]}, "not a valid database name"),
])
def test_server_input_errors(over, message):
    with pytest.raises(AzureInputError, match=message):
        pg.validate_server(server_spec(**over))


def test_delegation_check():
    subnet = {"properties": {"delegations": [{"properties": {"serviceName": "Microsoft.App/environments"}}]}}
    assert "not delegated" in pg.subnet_delegation_problem(subnet, SUBNET)
    assert "Microsoft.App/environments" in pg.subnet_delegation_problem(subnet, SUBNET)
    assert "does not exist" in pg.subnet_delegation_problem(None, SUBNET)
    ok = {"properties": {"delegations": [{"properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}}
    assert pg.subnet_delegation_problem(ok, SUBNET) is None


def config(value, dynamic=True):
    return {"properties": {"value": value, "isDynamicConfig": dynamic}}


def test_parameters_compare_as_sets_yaml_booleans_and_report_restarts():
    current = {"require_secure_transport": config("on"), "azure.extensions": config("PGAUDIT,PGCRYPTO"),
               "shared_preload_libraries": config("pg_cron,pg_stat_statements", dynamic=False)}
    plan = pg.plan_parameters(current, {"require_secure_transport": True, "azure.extensions": "pgcrypto, pgaudit"})
    assert plan["changes"] == {} and plan["restart"] == []
    plan = pg.plan_parameters(current, {"shared_preload_libraries": "pgaudit,pg_stat_statements"})
    assert plan["changes"] == {"shared_preload_libraries": "pgaudit,pg_stat_statements"}
    assert plan["restart"] == ["shared_preload_libraries"]
    with pytest.raises(AzureInputError, match="no parameter"):
        pg.plan_parameters(current, {"pgaudit.nonsense": "x"})


def test_databases_plan_keeps_system_databases():
    existing = [{"name": n, "properties": {"charset": "UTF8", "collation": "en_US.utf8"}}
                for n in ("postgres", "azure_sys", "azure_maintenance", "old", "user_service")]
    plan = pg.plan_databases(existing, [{"name": "user_service", "charset": "UTF8", "collation": "en_US.utf8"},
                                        {"name": "form_service", "charset": "UTF8", "collation": "en_US.utf8"}], purge=True)
    assert [d["name"] for d in plan["create"]] == ["form_service"] and plan["delete"] == ["old"]
    with pytest.raises(AzureInputError, match="cannot change"):
        pg.plan_databases(existing, [{"name": "user_service", "charset": "LATIN1", "collation": None}], purge=False)
    # Unset charset/collation: compared never, defaulted for a new database.
    existing[-1]["properties"]["collation"] = "C"
    plan = pg.plan_databases(existing, [{"name": "user_service", "charset": None, "collation": None},
                                        {"name": "new_db", "charset": None, "collation": None}], purge=False)
    assert plan["create"] == [{"name": "new_db", "charset": "UTF8", "collation": "en_US.utf8"}]


def test_connection_info_uses_hostaddr_only_when_the_endpoint_gives_one():
    azure = {"properties": {"fullyQualifiedDomainName": "p.postgres.database.azure.com", "administratorLogin": "a"}}
    assert pg.connection_info(azure) == {"host": "p.postgres.database.azure.com", "port": 5432, "user": "a", "sslmode": "require"}
    local = {"properties": dict(azure["properties"], emulatorLocalEndpoint={"hostaddr": "127.0.0.1", "port": 5999})}
    info = pg.connection_info(local)
    assert info["hostaddr"] == "127.0.0.1" and info["port"] == 5999 and info["host"] == "p.postgres.database.azure.com"
    assert re.match(r"^/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink\.",
                    pg.private_dns_zone_id("privatelink.postgres.database.azure.com", "s", "rg"))


@pytest.mark.parametrize("zone, ok", [("westeu-dev-1.private.postgres.database.azure.com", True),
                                      ("privatelink.postgres.database.azure.com", True),
                                      ("db.example.internal", False), ("postgres.database.azure.com.evil", False)])
def test_a_server_zone_must_end_with_the_services_domain(zone, ok):
    problem = pg.dns_zone_problem(zone, "private.postgres.database.azure.com")
    assert (problem is None) == ok
    if not ok:
        assert "does not end with .postgres.database.azure.com" in problem and zone in problem
