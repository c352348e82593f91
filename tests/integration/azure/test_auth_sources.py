"""The other credential sources against the emulator: module_defaults, azure-identity's variables, the Azure CLI."""
from __future__ import annotations

import json
import stat
import sys

from azure_play import arm_id, resource, task

# Blank every AWX variable: a source that still worked through them would prove nothing.
NO_AWX = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_CLIENT_ID": "", "AZURE_SECRET": "", "AZURE_TENANT": "", "AZURE_CLOUD_ENVIRONMENT": ""}


def created_and_deleted(ansible, emu, rg, **play_args):
    run = ansible.play([task("group", "resource_group", name=rg, location="westeurope")], **play_args)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.result("group")["changed"] is True and resource(emu, arm_id(emu, rg)) is not None
    run = ansible.play([task("group", "resource_group", name=rg, state="absent")], **play_args)
    assert run.result("group")["changed"] is True and resource(emu, arm_id(emu, rg)) is None


def test_module_defaults_of_the_action_group(ansible, emu, rg_name):
    defaults = {"group/complianceflow.infra.azure": {
        "auth_source": "module", "subscription_id": emu.subscription_id, "client_id": emu.client_id, "secret": emu.client_secret,
        "tenant": emu.tenant_id, "cloud_environment": emu.url, "ca_bundle": emu.ca}}
    created_and_deleted(ansible, emu, rg_name, module_defaults=defaults, extra_env=dict(NO_AWX, REQUESTS_CA_BUNDLE=""))


def test_azure_identity_variables(ansible, emu, rg_name):
    env = dict(NO_AWX, AZURE_SUBSCRIPTION_ID=emu.subscription_id, AZURE_CLIENT_ID=emu.client_id, AZURE_TENANT_ID=emu.tenant_id,
               AZURE_CLIENT_SECRET=emu.client_secret, AZURE_CLOUD_ENVIRONMENT=emu.url)
    created_and_deleted(ansible, emu, rg_name, extra_env=env)


def test_azure_cli_login_and_its_default_subscription(ansible, emu, rg_name, tmp_path):
    # A stand-in `az` that answers the two commands the modules use, with a token from the emulator.
    fake = tmp_path / "bin" / "az"
    fake.parent.mkdir()
    fake.write_text(f"""#!{sys.executable}
import json, ssl, sys, time, urllib.parse, urllib.request
args = sys.argv[1:]
if args[:2] == ["account", "show"]:
    print(json.dumps({{"id": {emu.subscription_id!r}, "tenantId": {emu.tenant_id!r}}}))
elif args[:2] == ["account", "get-access-token"]:
    form = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": {emu.client_id!r},
                                   "client_secret": {emu.client_secret!r}, "scope": "https://x/.default"}}).encode()
    ctx = ssl.create_default_context(cafile={emu.ca!r})
    with urllib.request.urlopen({emu.url!r} + "/" + {emu.tenant_id!r} + "/oauth2/v2.0/token", form, context=ctx) as resp:
        token = json.load(resp)["access_token"]
    print(json.dumps({{"accessToken": token, "expires_on": int(time.time()) + 3600, "tokenType": "Bearer"}}))
elif args[:2] == ["cloud", "show"]:
    print(json.dumps({{"name": "AzureCloud"}}))
else:
    sys.exit("fake az: unexpected " + " ".join(args))
""")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(NO_AWX, AZURE_CLOUD_ENVIRONMENT=emu.url, PATH=f"{fake.parent}:/usr/bin:/bin")
    created_and_deleted(ansible, emu, rg_name, extra_env=env)
    # A named cloud other than the one az is set to fails before any call: the CLI cannot give its tokens.
    env.update(AZURE_CLOUD_ENVIRONMENT="AzureUSGovernment")
    run = ansible.play([task("group", "resource_group", name=rg_name, location="westeurope")], extra_env=env)
    assert run.rc != 0 and "cloud_environment is AzureUSGovernment but the Azure CLI is set to AzureCloud" in run.result("group")["msg"]


def test_explicit_source_that_is_incomplete_says_what_is_missing(ansible, emu):
    mark = emu.request_count()
    run = ansible.play([task("group", "resource_group", name="rg-x", location="westeurope", auth_source="identity_env")])
    assert run.result("group")["msg"].startswith("auth_source=identity_env needs AZURE_CLIENT_ID, AZURE_TENANT_ID and one of")
    assert emu.requests(since=mark) == []
    assert json.dumps(run.data).count(emu.client_secret) == 0
