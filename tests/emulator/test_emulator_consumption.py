"""Microsoft.Consumption budgets in the emulator, through ARM's generic resource operations (azure-mgmt-resource)."""
from __future__ import annotations

import datetime

import pytest
from azure.core.exceptions import HttpResponseError

API = "2026-06-01"
START = datetime.datetime.now(datetime.timezone.utc).date().replace(day=1).isoformat() + "T00:00:00Z"


def _budget(emu, group, name="budget-emu-1"):
    return f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Consumption/budgets/{name}"


def _body(start=START, **notes):
    note = {"enabled": True, "operator": "GreaterThan", "threshold": 80, "contactEmails": ["ops@complianceflow.example"]}
    return {"properties": {"category": "Cost", "amount": 200, "timeGrain": "Monthly", "timePeriod": {"startDate": start},
                           "notifications": notes or {"Actual_GreaterThan_80_Percent": note}}}


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def test_budget_keeps_its_start_date_and_defaults(emu, resources, group):
    rid = _budget(emu, group)
    created = _put(resources, rid, _body())
    assert created.properties["timePeriod"]["startDate"] == START
    assert created.properties["timePeriod"]["endDate"].startswith(str(int(START[:4]) + 10))   # the spec: ten years by default
    assert created.properties["notifications"]["Actual_GreaterThan_80_Percent"]["thresholdType"] == "Actual"
    with pytest.raises(HttpResponseError, match="Start date of budgets cannot be updated. Please delete and create a new budget."):
        _put(resources, rid, _body(start="2025-01-01T00:00:00Z"))
    resources.resources.begin_delete_by_id(rid, api_version=API).result()
    assert not resources.resources.check_existence_by_id(rid, api_version=API)


@pytest.mark.parametrize("body, why", [
    (_body(start=START[:8] + "15T00:00:00Z"), "first of the month"),
    (_body(start="2017-05-01T00:00:00Z"), "on or after June 1, 2017"),
    (_body(**{f"n{i}": {"enabled": True, "operator": "GreaterThan", "threshold": 10 * i, "contactEmails": ["a@b.example"]}
              for i in range(1, 7)}), "up to five notifications"),
    (_body(n={"enabled": True, "operator": "GreaterThan", "threshold": 1001, "contactEmails": ["a@b.example"]}),
     "between 0 and 1000"),
    (_body(n={"enabled": True, "operator": "GreaterThan", "threshold": 50, "contactEmails": []}), "at least one contact"),
    (_body(n={"enabled": True, "operator": "GreaterThan", "threshold": 50}), "contactEmails"),   # required by the spec
])
def test_budget_rules_of_the_spec_are_enforced(emu, resources, group, body, why):
    with pytest.raises(HttpResponseError, match=why):
        _put(resources, _budget(emu, group), body)
