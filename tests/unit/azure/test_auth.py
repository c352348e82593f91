"""Credential source order, partial configuration errors, clouds and ARM metadata."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import auth, run_cache

SP = {"client_id": "app", "secret": "s3cr3t", "tenant": "tid"}
AWX = {"AZURE_SUBSCRIPTION_ID": "sub-awx", "AZURE_CLIENT_ID": "awx-app", "AZURE_SECRET": "awx-secret", "AZURE_TENANT": "awx-tenant"}
IDENTITY = {"AZURE_CLIENT_ID": "id-app", "AZURE_TENANT_ID": "id-tenant", "AZURE_CLIENT_SECRET": "id-secret"}


def no_az(_name):
    return None


def resolve(params=None, env=None, which=no_az):
    return auth.resolve_auth(dict({"auth_source": "auto"}, **(params or {})), env or {}, which=which)


def test_module_options_win_over_every_environment_source():
    plan = resolve(dict(SP, subscription_id="sub-opt"), dict(AWX, **IDENTITY, IDENTITY_ENDPOINT="http://x"))
    assert (plan.source, plan.kind, plan.client_id, plan.tenant, plan.subscription_id) == ("module", "service_principal", "app", "tid", "sub-opt")


def test_awx_variables_come_next_and_carry_the_subscription():
    plan = resolve({}, dict(AWX, AZURE_TENANT_ID="id-tenant", AZURE_CLIENT_SECRET="id-secret"))
    assert (plan.source, plan.client_id, plan.tenant, plan.secret, plan.subscription_id) == ("env", "awx-app", "awx-tenant", "awx-secret", "sub-awx")


def test_subscription_option_overrides_awx_subscription():
    assert resolve({"subscription_id": "mine"}, AWX).subscription_id == "mine"


def test_awx_user_password():
    plan = resolve({}, {"AZURE_AD_USER": "ann@example.com", "AZURE_PASSWORD": "pw", "AZURE_SUBSCRIPTION_ID": "s"})
    assert (plan.kind, plan.username, plan.tenant, plan.client_id) == ("user_password", "ann@example.com", "organizations", auth.AZURE_CLI_CLIENT_ID)


def test_identity_variables_after_awx():
    plan = resolve({}, dict(IDENTITY, AZURE_SUBSCRIPTION_ID="s"))
    assert (plan.source, plan.kind, plan.subscription_id) == ("identity_env", "environment", "s")


def test_managed_identity_only_when_the_host_advertises_one():
    assert resolve({"client_id": "uami"}, {"IDENTITY_ENDPOINT": "http://localhost:42"}).kind == "managed_identity"
    assert resolve({"client_id": "uami"}, {"IDENTITY_ENDPOINT": "http://localhost:42"}).client_id == "uami"
    with pytest.raises(auth.AzureConfigError, match="no Azure credentials found.*auth_source=msi"):
        resolve({}, {})


def test_cli_when_az_is_on_path():
    plan = resolve({}, {}, which=lambda name: "/usr/bin/az" if name == "az" else None)
    assert (plan.source, plan.kind) == ("cli", "cli")


@pytest.mark.parametrize("params, message", [
    ({"secret": "x"}, "without client_id and tenant"),
    ({"secret": "x", "client_id": "a"}, "without tenant"),
    ({"ad_user": "u"}, "ad_user and password must be given together"),
])
def test_partial_module_credentials_fail_with_the_missing_names(params, message):
    with pytest.raises(auth.AzureConfigError, match=message):
        resolve(params, AWX)


def test_partial_awx_variables_name_the_awx_variable():
    with pytest.raises(auth.AzureConfigError, match="without AZURE_TENANT"):
        resolve({}, {"AZURE_CLIENT_ID": "a", "AZURE_SECRET": "s"})


@pytest.mark.parametrize("source, env, message", [
    ("module", AWX, "auth_source=module needs"),
    ("env", IDENTITY, "auth_source=env needs"),
    ("identity_env", AWX, "auth_source=identity_env needs"),
])
def test_explicit_source_uses_only_that_source(source, env, message):
    with pytest.raises(auth.AzureConfigError, match=message):
        auth.resolve_auth({"auth_source": source}, env, which=no_az)


def test_explicit_msi_and_cli_need_nothing_else():
    assert auth.resolve_auth({"auth_source": "msi"}, {}, which=no_az).kind == "managed_identity"
    assert auth.resolve_auth({"auth_source": "cli"}, {}, which=no_az).kind == "cli"


def test_secrets_are_not_in_the_plan_repr():
    plan = resolve(SP, {})
    assert "s3cr3t" not in repr(plan)


def test_missing_subscription_is_named():
    with pytest.raises(auth.AzureConfigError, match="AZURE_SUBSCRIPTION_ID"):
        auth.require_subscription(resolve(SP, {}))


@pytest.mark.parametrize("value, name", [
    ("AzureCloud", "AzureCloud"), ("azurepubliccloud", "AzureCloud"),
    ("AzureUSGovernment", "AzureUSGovernment"), ("AzureChinaCloud", "AzureChinaCloud"),
])
def test_known_clouds(value, name):
    assert auth.known_cloud(value).name == name


def test_china_cloud_endpoints():
    cloud = auth.known_cloud("AzureChinaCloud")
    assert cloud.resource_manager == "https://management.chinacloudapi.cn/"
    assert cloud.authority == "https://login.chinacloudapi.cn"


def test_cloud_setting_order():
    assert auth.cloud_setting({"cloud_environment": "AzureChinaCloud"}, {"AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}) == "AzureChinaCloud"
    assert auth.cloud_setting({}, {"AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}) == "AzureUSGovernment"
    assert auth.cloud_setting({}, {}) == "AzureCloud"


def test_unknown_cloud_and_plain_http_are_refused():
    with pytest.raises(auth.AzureConfigError, match="AzureGermanCloud.*AzureCloud, AzureUSGovernment, AzureChinaCloud"):
        auth.known_cloud("AzureGermanCloud")
    with pytest.raises(auth.AzureConfigError, match="must be an https:// URL"):
        auth.known_cloud("http://127.0.0.1:8443")
    assert auth.known_cloud("https://127.0.0.1:8443") is None


def test_metadata_list_form_picks_the_cloud_of_this_arm_url():
    payload = [
        {"name": "Other", "resourceManager": "https://management.azure.com/",
         "authentication": {"loginEndpoint": "https://login.microsoftonline.com", "audiences": ["https://management.core.windows.net/"]}},
        {"name": "Stack", "resourceManager": "https://management.local.azurestack.external/",
         "authentication": {"loginEndpoint": "https://login.microsoftonline.com/", "audiences": ["https://management.tenant.onmicrosoft.com/abc"]}},
    ]
    cloud = auth.cloud_from_metadata("https://management.local.azurestack.external", payload)
    assert cloud.name == "Stack" and cloud.custom and not cloud.adfs
    assert cloud.resource_manager == "https://management.local.azurestack.external/"
    assert cloud.authority == "https://login.microsoftonline.com"
    assert cloud.credential_scopes == ("https://management.tenant.onmicrosoft.com/abc/.default",)


def test_metadata_legacy_adfs_form():
    payload = {"galleryEndpoint": "https://g/",
               "authentication": {"loginEndpoint": "https://adfs.local.azurestack.external/adfs/",
                                  "audiences": ["https://management.adfs.azurestack.local/4711"]}}
    cloud = auth.cloud_from_metadata("https://management.local.azurestack.external/", payload)
    assert cloud.adfs and cloud.authority == "https://adfs.local.azurestack.external"


def test_v1_resource_keeps_its_trailing_slash_in_the_scope():
    payload = [{"authentication": {"loginEndpoint": "https://127.0.0.1:9/", "audiences": ["https://127.0.0.1:9/"]}}]
    assert auth.cloud_from_metadata("https://127.0.0.1:9", payload).credential_scopes == ("https://127.0.0.1:9//.default",)


def test_metadata_without_authentication_is_a_clear_error():
    with pytest.raises(auth.AzureConfigError, match="no cloud with an 'authentication' section"):
        auth.cloud_from_metadata("https://x", {"portal": "y"})


def test_connection_verify():
    assert auth.connection_verify({"ca_bundle": "/ca.pem", "validate_certs": True}) == "/ca.pem"
    assert auth.connection_verify({"ca_bundle": None, "validate_certs": True}) is True
    assert auth.connection_verify({"ca_bundle": "/ca.pem", "validate_certs": False}) is False


def test_metadata_run_cache_round_trip_and_absence(tmp_path):
    payload = [{"name": "Emu", "resourceManager": "https://127.0.0.1:9/",
                "authentication": {"loginEndpoint": "https://127.0.0.1:9/", "audiences": ["https://management.emu/"]}}]
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    assert auth.cached_metadata(env, "https://127.0.0.1:9") is None            # nothing read yet this run
    auth.store_metadata(env, "https://127.0.0.1:9/", payload)
    assert auth.cached_metadata(env, "https://127.0.0.1:9") == payload        # same URL, with or without its slash
    assert auth.cached_metadata(env, "https://127.0.0.1:10") is None           # another cloud is not this one's
    assert [p.name.startswith("cloud-metadata-") for p in tmp_path.iterdir()] == [True]   # no temporary file left
    # Without the run's directory (a module run in a new Python) nothing is kept or read.
    auth.store_metadata({}, "https://127.0.0.1:9", payload)
    assert auth.cached_metadata({}, "https://127.0.0.1:9") is None
    assert auth.cached_metadata({run_cache.RUN_CACHE_ENV: str(tmp_path / "gone")}, "https://127.0.0.1:9") is None


def test_a_damaged_metadata_cache_reads_as_absent(tmp_path):
    env = {run_cache.RUN_CACHE_ENV: str(tmp_path)}
    auth.store_metadata(env, "https://127.0.0.1:9", {"x": 1})
    next(tmp_path.iterdir()).write_text("{not json", encoding="utf-8")
    assert auth.cached_metadata(env, "https://127.0.0.1:9") is None
