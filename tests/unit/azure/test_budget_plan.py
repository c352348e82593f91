"""The budget planner where the contract cannot reach: a re-run in a later month, and what Azure cannot change."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.budget import plan_budget, validate_budget
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

PARAMS = {"resource_group": "rg-cf-westeu-dev-1", "name": "budget-cf-westeu-dev-1", "amount": 200.0, "time_grain": "Monthly",
          "thresholds": [50, 80, 100], "forecast_thresholds": [], "contact_emails": ["platform-team@complianceflow.example"],
          "contact_groups": [], "start_date": None, "end_date": None}


def _created(today):
    plan = plan_budget(None, validate_budget(dict(PARAMS)), today)
    return {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Consumption/budgets/b", "name": "b", "eTag": "e1",
            "properties": dict(plan.body["properties"], timePeriod=dict(plan.body["properties"]["timePeriod"],
                                                                        endDate="2036-12-01T00:00:00Z"))}


def test_new_budget_starts_on_the_first_of_the_month_and_a_later_run_changes_nothing():
    plan = plan_budget(None, validate_budget(dict(PARAMS)), datetime.date(2026, 12, 3))
    assert plan.action == "create" and plan.body["properties"]["timePeriod"] == {"startDate": "2026-12-01T00:00:00Z"}
    assert sorted(plan.body["properties"]["notifications"]) == [
        "Actual_GreaterThan_100_Percent", "Actual_GreaterThan_50_Percent", "Actual_GreaterThan_80_Percent"]
    again = plan_budget(_created(datetime.date(2026, 12, 3)), validate_budget(dict(PARAMS)), datetime.date(2027, 3, 15))
    assert again.action == "none"
    raised = plan_budget(_created(datetime.date(2026, 12, 3)), validate_budget(dict(PARAMS, amount=300.0)), datetime.date(2027, 3, 15))
    assert raised.action == "put" and raised.body["eTag"] == "e1"
    assert raised.body["properties"]["timePeriod"]["startDate"] == "2026-12-01T00:00:00Z"   # kept: Azure does not change it


@pytest.mark.parametrize("change, message", [
    ({"start_date": "2026-12-15"}, "not the first of a month"),
    ({"thresholds": [10, 20, 30, 40], "forecast_thresholds": [90, 100]}, "at most 5"),
    ({"contact_emails": [], "contact_groups": []}, "at least one contact"),
    ({"contact_emails": ["platform-team"]}, "'platform-team' is not an e-mail address"),
    ({"contact_groups": ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v"]}, "actionGroups"),
    ({"thresholds": [1001]}, "at most 1000"),
])
def test_bad_budgets_are_refused_before_any_call(change, message):
    with pytest.raises(AzureInputError, match=message):
        validate_budget(dict(PARAMS, **change))


def test_an_existing_budget_start_date_is_never_changed():
    with pytest.raises(AzureInputError, match="cannot change a budget's start date"):
        plan_budget(_created(datetime.date(2026, 12, 3)), validate_budget(dict(PARAMS, start_date="2027-01-01")),
                    datetime.date(2027, 1, 2))
