"""Resource providers of a fresh subscription: registered before the first write, or a clear refusal."""
from __future__ import annotations

import uuid

from azure_play import task

NAMESPACES = ["Microsoft.Network", "Microsoft.KeyVault"]


def fresh_subscription(emu) -> str:
    sub = str(uuid.uuid4())
    known = emu.admin("GET", "config")["subscriptions"][1:]
    emu.admin("POST", "subscriptions", known + [sub])
    return sub


def test_a_fresh_subscription_refuses_a_write_and_the_module_registers_first(ansible, emu):
    sub = fresh_subscription(emu)
    rg = f"rg-rp-{uuid.uuid4().hex[:6]}"
    args = {"subscription_id": sub}
    run = ansible.play([task("group", "resource_group", name=rg, location="westeurope", **args),
                        {"name": "nsg", "complianceflow.infra.network_security_group": dict(resource_group=rg, name="nsg", location="westeurope", **args),
                         "ignore_errors": True}])
    refused = [r for r in emu.requests() if sub in r["path"] and r.get("error_code") == "MissingSubscriptionRegistration"]
    assert refused, "the emulator let a write into an unregistered namespace through"
    # The SDK's auto-registration policy did not step in: a long-running PUT's first answer is streamed, so the
    # policy cannot read the 409's body (azure-mgmt-core swallows the error) -- the reason the module exists.
    assert not [r for r in emu.requests() if sub in r["path"] and r["path"].endswith("/register")]

    mark = emu.request_count()
    run = ansible.play([task("check", "resource_provider", namespaces=NAMESPACES, **args)], check=True, diff=True)
    result = run.result("check")
    assert run.rc == 0 and result["changed"] is True and result["diff"]["before"]["unregistered"] == NAMESPACES
    assert result["unregistered"] == NAMESPACES     # what playbooks/preflight.yml reports
    assert result["register_actions"] == ["Microsoft.Network/register/action", "Microsoft.KeyVault/register/action"]
    assert result["owner_commands"] == ["az provider register --namespace Microsoft.Network",
                                        "az provider register --namespace Microsoft.KeyVault"]
    assert not [r for r in emu.requests(since=mark) if r["method"] == "POST" and r["path"].endswith("/register")]
    run = ansible.play([task("rp", "resource_provider", namespaces=NAMESPACES, **args)])
    assert run.rc == 0 and run.result("rp")["providers"] == {"Microsoft.Network": "Registered", "Microsoft.KeyVault": "Registered"}
    assert run.result("rp")["unregistered"] == NAMESPACES        # the ones this run registered
    run = ansible.play([task("rp", "resource_provider", namespaces=NAMESPACES, **args)])
    assert run.result("rp")["changed"] is False and run.result("rp")["unregistered"] == []
    ansible.play([task("group", "resource_group", name=rg, state="absent", **args)])


def test_an_identity_that_may_not_register_fails_before_any_write_naming_what_to_run(ansible, emu):
    sub = fresh_subscription(emu)
    emu.admin("POST", "providers", {"namespaces": [], "subscription": sub})
    before = emu.admin("GET", "config")
    try:
        emu.admin("POST", "provider_registration", {"value": "forbidden"})
        run = ansible.play([task("rp", "resource_provider", namespaces=["Microsoft.DBforPostgreSQL"], subscription_id=sub)])
    finally:
        emu.admin("POST", "provider_registration", {"value": before["provider_registration"]})
    msg = run.result("rp")["msg"]
    assert run.rc != 0 and "AuthorizationFailed" in msg and "az provider register --namespace Microsoft.DBforPostgreSQL" in msg
