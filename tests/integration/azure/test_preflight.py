"""playbooks/preflight.yml against the emulator: read only, every gap of a fresh subscription reported in one run, all
clear on a prepared one, and the Key Vault checked from where the controller runs once the vault exists."""
from __future__ import annotations

import pytest
from ansible_run import JSON_CALLBACK_ENV, REPO, run_playbook
from azure_play import task
from emulator import CONTROLLER_ADDRESS, PREPARED_PROVIDERS
from test_resource_provider import fresh_subscription

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import RESOURCE_PROVIDERS

PLAYBOOK = REPO / "playbooks" / "preflight.yml"
INVENTORY = REPO / "inventories" / "westeu-dev-1"       # westeurope, dev sizing: B_Standard_B1ms, 5 NSGs
GROUP = "rg-cf-westeu-dev-1"


def preflight(awx_env, subscription, **extra_vars):
    return run_playbook(PLAYBOOK, inventory=[INVENTORY], env=dict(awx_env, **JSON_CALLBACK_ENV),
                        extra_vars={"azure_auth": {"subscription_id": subscription}, **extra_vars})


def writes(emu, since):
    """Anything but a read: PUT, PATCH, DELETE, and any POST but a sign-in (a provider registration, an action)."""
    return [r for r in emu.requests(since=since) if r["method"] in ("PUT", "PATCH", "DELETE")
            or (r["method"] == "POST" and r.get("operation") != "oauth2/token")]


def report(run):
    """(gaps, notes) of the run: the failed report's lines, or the all-clear lines."""
    failed = run.task_results("Report every gap at once")
    if failed and failed[0].get("failed"):
        lines = failed[0]["msg"]
        return lines[1:-1] if lines[-1].startswith("notes: ") else lines[1:], lines[-1]
    return [], run.result("All clear")["msg"]


def noted(emu, awx_env, subscription, prefix, **extra_vars):
    """The notes of an all-clear preflight that start with `prefix`; the run wrote nothing."""
    mark = emu.request_count()
    run = preflight(awx_env, subscription, **extra_vars)
    gaps, lines = report(run)
    assert gaps == [], gaps
    assert not writes(emu, mark)
    return [line for line in lines if line.startswith(prefix)]


@pytest.fixture
def capacity(emu):
    yield emu
    emu.set_capacity(limits={"VirtualNetworks": 50, "NetworkSecurityGroups": 100, "cores": 100, "family": 100},
                     withheld_skus={"westeurope": []})


def prepared_subscription(emu):
    """What a subscription's owner has before a first deploy: Owner for the deploying identity, providers registered."""
    sub = fresh_subscription(emu)
    emu.grant("Owner", scope=f"/subscriptions/{sub}")
    emu.admin("POST", "providers", {"namespaces": list(PREPARED_PROVIDERS), "subscription": sub})
    return sub


def test_a_prepared_subscription_is_all_clear_and_nothing_is_written(emu, awx_env, capacity):
    sub = prepared_subscription(emu)
    mark = emu.request_count()
    run = preflight(awx_env, sub)
    assert run.rc == 0, run.stdout[-4000:]
    gaps, lines = report(run)
    assert gaps == [] and lines[0] == "preflight of westeu-dev-1: all clear", lines
    assert any(line.startswith("Key Vault: kv-cf-westeu-dev-1") and "does not exist yet" in line for line in lines), lines
    assert any(line.startswith("PostgreSQL: psql-cf-westeu-dev-1 does not exist yet") and "snet-cf-westeu-dev-1-mgmt" in line
               and "westeu-dev-1.private.postgres.database.azure.com" in line for line in lines), lines
    # The audit trail's upload needs a data role on the audit container, which the deploy does not grant.
    assert any(line.startswith("audit trail: stcfwesteudev1 or its container does not exist yet") and
               "Storage Blob Data Contributor" in line for line in lines), lines
    assert not writes(emu, mark), writes(emu, mark)
    read = {r["operation"] for r in emu.requests(since=mark)}
    assert {"Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read",
            "Microsoft.Resources/subscriptions/providers/read", "Microsoft.Network/locations/usages/read"} <= read, read


def test_a_fresh_subscription_reports_every_gap_in_one_run(emu, awx_env, capacity):
    """No role for the identity, no provider registered, the plan's PostgreSQL size not offered in westeurope and no
    room for another VNet: one run names all of it, writes nothing, and fails."""
    sub = fresh_subscription(emu)
    emu.set_capacity(limits={"VirtualNetworks": 0}, withheld_skus={"westeurope": ["Standard_B1ms"]})
    mark = emu.request_count()
    run = preflight(awx_env, sub)
    assert run.rc != 0, run.stdout[-4000:]
    gaps, notes = report(run)
    assert len(gaps) == 5, gaps
    roles, assign, providers, network, postgresql = gaps
    assert roles.startswith("roles: the identity running the playbook (ServicePrincipal ") and "roles: none" in roles
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in roles and "Give it Contributor" in roles
    assert f"subscription /subscriptions/{sub} (the group does not exist yet)" in roles
    assert "may not assign roles (Microsoft.Authorization/roleAssignments/write)" in assign
    assert "which role identity needs to give the identity of the apps its roles" in assign
    assert providers.startswith(f"resource providers: the subscription has not registered {', '.join(RESOURCE_PROVIDERS)}")
    assert "az provider register --namespace Microsoft.DBforPostgreSQL" in providers
    assert network.startswith("network quota: westeurope: Virtual Networks 0 of 0 used, the deployment needs 1 more")
    assert postgresql.startswith("PostgreSQL (sizing.postgresql; deployment_overrides.sizing.postgresql in the inventory): "
                                 "PostgreSQL size Standard_B1ms (Burstable) is not offered in westeurope")
    assert "does not exist yet" in notes
    assert not writes(emu, mark), writes(emu, mark)
    assert run.total("failures") == 1            # the report; the checks themselves ran to the end


def test_roles_that_may_register_and_grant_make_no_gap_of_what_deploy_does_itself(emu, awx_env, capacity):
    sub = fresh_subscription(emu)                  # providers unregistered, but the identity may register them
    emu.grant("Contributor", scope=f"/subscriptions/{sub}")
    emu.grant("User Access Administrator", scope=f"/subscriptions/{sub}")
    mark = emu.request_count()
    run = preflight(awx_env, sub)
    gaps, lines = report(run)
    assert run.rc == 0 and gaps == [], run.stdout[-4000:]
    assert any(line.startswith("resource providers: Microsoft.Network, Microsoft.KeyVault") and "deploy.yml registers them" in line
               for line in lines), lines
    assert not writes(emu, mark)


def test_only_the_providers_left_unregistered_are_a_gap_each_with_what_an_owner_runs(emu, awx_env, capacity):
    """Network and Key Vault registered, the identity a Reader (it may not register): the gap names the other two
    namespaces, the operation the identity lacks for each and one command each, as module resource_provider reads
    them, and nothing about the two registered ones."""
    sub = fresh_subscription(emu)
    emu.admin("POST", "providers", {"namespaces": ["Microsoft.Network", "Microsoft.KeyVault"], "subscription": sub})
    emu.grant("Reader", scope=f"/subscriptions/{sub}")
    run = preflight(awx_env, sub)
    gaps, notes = report(run)
    providers = [gap for gap in gaps if gap.startswith("resource providers:")]
    missing = [ns for ns in RESOURCE_PROVIDERS if ns not in ("Microsoft.Network", "Microsoft.KeyVault")]   # the plan's, in order
    assert providers == [
        f"resource providers: the subscription has not registered {', '.join(missing)}, "
        f"and the identity running the playbook may not register them ({', '.join(ns + '/register/action' for ns in missing)} "
        "on the subscription, which Contributor and Owner have). "
        "Have a subscription owner run once: " + "; ".join(f"az provider register --namespace {ns}" for ns in missing)], gaps
    assert "resource providers" not in notes


def test_an_existing_vault_is_checked_from_where_the_controller_runs(ansible, emu, awx_env, capacity):
    sub = prepared_subscription(emu)
    vault = "kv-cf-westeu-dev-1-pf"
    setup = [task("group", "resource_group", name=GROUP, location="westeurope", subscription_id=sub),
             task("vault", "key_vault", resource_group=GROUP, name=vault, location="westeurope", subscription_id=sub,
                  network_acls={"default_action": "Deny", "ip_rules": ["203.0.113.0/24"]})]
    assert ansible.play(setup).rc == 0
    try:
        mark = emu.request_count()
        run = preflight(awx_env, sub, key_vault_name=vault)
        gaps, _notes = report(run)
        assert run.rc != 0 and len(gaps) == 1, gaps
        assert gaps[0].startswith("Key Vault: ") and "ForbiddenByFirewall" in gaps[0] and CONTROLLER_ADDRESS in gaps[0]
        assert not writes(emu, mark)

        # Let the controller in: the identity has no data-plane role yet, which role key_vault assigns itself (Owner may).
        setup[1]["complianceflow.infra.key_vault"]["network_acls"]["ip_rules"].append(CONTROLLER_ADDRESS)
        assert ansible.play(setup[1:]).rc == 0
        mark = emu.request_count()
        run = preflight(awx_env, sub, key_vault_name=vault)
        gaps, lines = report(run)
        assert run.rc == 0 and gaps == [], run.stdout[-4000:]
        assert any("role key_vault assigns it Key Vault Secrets Officer" in line for line in lines), lines
        assert not writes(emu, mark)

        # ... unless it is told not to: then the missing role is a gap.
        run = preflight(awx_env, sub, key_vault_name=vault, key_vault_grant_deployer=False)
        gaps, _notes = report(run)
        assert run.rc != 0 and len(gaps) == 1 and "ForbiddenByRbac" in gaps[0], gaps
    finally:
        ansible.play([task("gone", "resource_group", name=GROUP, state="absent", subscription_id=sub)])


def test_a_bastion_left_after_its_feature_was_turned_off_is_noted_as_billed_and_nothing_is_written(ansible, emu, awx_env, capacity):
    """deploy.yml never deletes what a feature turned off made: preflight says it is still there (features.bastion is
    off in westeu-dev-1's inventory), reading it in check mode, and writes nothing."""
    sub = prepared_subscription(emu)
    assert not noted(emu, awx_env, sub, "features turned off")   # nothing left: no note
    on = {"subscription_id": sub}
    setup = [task("group", "resource_group", name=GROUP, location="westeurope", **on),
             task("vnet", "virtual_network", resource_group=GROUP, name="vnet-bastion", location="westeurope",
                  address_prefixes=["10.22.0.0/16"], subnets=[{"name": "AzureBastionSubnet", "address_prefix": "10.22.11.0/26"}], **on),
             task("pip", "public_ip_address", resource_group=GROUP, name="pip-cf-westeu-dev-1-bastion", location="westeurope",
                  sku="Standard", allocation_method="Static", **on),
             task("bastion", "bastion_host", resource_group=GROUP, name="bas-cf-westeu-dev-1", location="westeurope", sku="Basic",
                  subnet="vnet-bastion/AzureBastionSubnet", public_ip_address="pip-cf-westeu-dev-1-bastion", **on)]
    assert ansible.play(setup).rc == 0
    try:
        left = noted(emu, awx_env, sub, "features turned off")
        assert len(left) == 1 and "bas-cf-westeu-dev-1 (bastion host" in left[0] and "stay billed" in left[0], left
        assert "apim-cf-westeu-dev-1" not in left[0]
    finally:
        ansible.play([task("gone", "resource_group", name=GROUP, state="absent", **on)])


def test_a_peering_taken_out_of_the_inventory_is_noted_as_an_open_path_and_nothing_is_written(ansible, emu, awx_env, capacity):
    """westeu-dev-1's inventory declares no peering: one the collection made (peer-westeu-dev-1-to-<peer>) is still
    Connected, so preflight says the path stays open; a peering of another name is someone else's and not noted."""
    sub = prepared_subscription(emu)
    on = {"subscription_id": sub}
    peer_group = "rg-cf-eastus-dev-1"
    vnets = [task("group", "resource_group", name=GROUP, location="westeurope", **on),
             task("peer group", "resource_group", name=peer_group, location="eastus", **on),
             task("vnet", "virtual_network", resource_group=GROUP, name="vnet-cf-westeu-dev-1", location="westeurope",
                  address_prefixes=["10.10.0.0/16"], **on),
             task("peer vnet", "virtual_network", resource_group=peer_group, name="vnet-cf-eastus-dev-1", location="eastus",
                  address_prefixes=["10.11.0.0/16"], **on)]
    peerings = [task(name, "virtual_network_peering", resource_group=group, virtual_network=vnet, name=name,
                     remote_resource_group=remote_group, remote_virtual_network=remote, **on)
                for name, group, vnet, remote_group, remote in (
                    ("peer-eastus-dev-1-to-westeu-dev-1", peer_group, "vnet-cf-eastus-dev-1", GROUP, "vnet-cf-westeu-dev-1"),
                    ("peer-westeu-dev-1-to-eastus-dev-1", GROUP, "vnet-cf-westeu-dev-1", peer_group, "vnet-cf-eastus-dev-1"),
                    ("hub-link", GROUP, "vnet-cf-westeu-dev-1", GROUP, "vnet-hub"))]
    vnets.append(task("hub vnet", "virtual_network", resource_group=GROUP, name="vnet-hub", location="westeurope",
                      address_prefixes=["10.50.0.0/16"], **on))
    run = ansible.play(vnets + peerings)
    assert run.rc == 0, run.stdout[-3000:]
    try:
        left = noted(emu, awx_env, sub, "peerings: ")
        assert len(left) == 1 and left[0].startswith("peerings: peer-westeu-dev-1-to-eastus-dev-1 of vnet-cf-westeu-dev-1 (Connected)"), left
        assert "the network path stays open" in left[0]
        # The inventory declaring the peer again: no note.
        assert not noted(emu, awx_env, sub, "peerings: ", deployment_overrides={"peerings": ["eastus-dev-1"]})
    finally:
        ansible.play([task("gone", "resource_group", name=g, state="absent", **on) for g in (GROUP, peer_group)])
