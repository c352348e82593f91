"""Role evidence in --check on a brand-new deployment (nothing exists yet): it predicts the diagnostic settings and the
activity log setting, reports the flow log as skipped (no storage account yet), fails nothing and writes nothing."""
from __future__ import annotations

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan

WRITES = ("PUT", "PATCH", "DELETE", "POST")


def _results(run, suffix: str) -> list:
    return [host for play in run.data.get("plays", []) for t in play.get("tasks", []) if t["task"]["name"].endswith(suffix)
            for host in t["hosts"].values()]


@pytest.mark.parametrize("deployment", ["global-dev", "eastus-dev-1"])
def test_check_mode_on_a_new_deployment_predicts_the_evidence(ansible, emu, deployment):
    workspace = (f"/subscriptions/{emu.subscription_id}/resourceGroups/rg-cf-{deployment}/providers/"
                 f"Microsoft.OperationalInsights/workspaces/log-cf-{deployment}")
    mark = emu.request_count()
    run = ansible.play([], roles=[{"role": "complianceflow.infra.evidence"}], check=True,
                       vars_={"deployment_plan": f"{{{{ '{deployment}' | complianceflow.infra.deployment }}}}",
                              "log_analytics_workspace_id": workspace})
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    (settings,) = _results(run, "Resource logs into the workspace's audit tables (Key Vault AuditEvent, PostgreSQL logs)")
    predicted = [item["diagnostic_setting"] for item in settings["results"]]
    assert [s["logs"] for s in predicted] == [[{"category": "AuditEvent", "enabled": True}], [{"category": "PostgreSQLLogs", "enabled": True}]]
    assert {s["workspace_id"] for s in predicted} == {workspace} and all(item["changed"] for item in settings["results"])
    (activity,) = _results(run, "The subscription's activity log into the environment's workspace")
    if deployment.startswith("global-"):   # one setting per environment, made by global-<env>
        assert activity["changed"] and activity["diagnostic_setting"]["scope"] == f"/subscriptions/{emu.subscription_id}"
        assert [entry["category"] for entry in activity["diagnostic_setting"]["logs"]][:2] == ["Administrative", "Security"]
    else:
        assert activity.get("skipped")
    (flow,) = _results(run, "VNet flow log into the deployment's storage account")
    fl = build_plan(deployment)["evidence"]["flow_log"]   # the account in its group (the audit group where the plan has one)
    storage = f"/resourceGroups/{fl['storage_account_resource_group']}/providers/Microsoft.Storage/storageAccounts/{fl['storage_account']} "
    assert flow.get("skipped") and storage in flow["msg"], flow
    assert not [r for r in emu.requests(since=mark) if r["method"] in WRITES and "/_emulator/" not in r["path"]
                and "token" not in r["path"]], "check mode wrote"
