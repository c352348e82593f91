# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cost Management budgets at a resource group's scope, for the resource engine. PRIVATE to the collection.

Sources (docs/emulator.md lists them with the emulator's behaviour):
- REST spec Microsoft.Consumption stable 2026-06-01 (the newest stable version the spec repository holds; its
  `info.version` says 2026-06-01), `Consumption/stable/2026-06-01/openapi.json`: PUT/GET/DELETE
  `{scope}/providers/Microsoft.Consumption/budgets/{budgetName}` (not long-running: PUT answers 200/201, DELETE 200);
  `Budget` is a ProxyResource (no location, no tags) with an optional `eTag`; `BudgetProperties` requires
  `category` (only `Cost`), `amount`, `timeGrain` (Monthly, Quarterly, Annually; the Billing* grains "are only supported
  by WD customers") and `timePeriod` (`startDate` required). `timePeriod`: "The start date must be first of the month
  and should be less than the end date. Budget start date must be on or after June 1, 2017. Future start date should
  not be more than twelve months. Past start date should be selected within the timegrain period." `notifications`:
  "Budget can have up to five notifications"; `Notification` requires `enabled`, `operator`, `threshold` and
  `contactEmails`; threshold "is always percent and has to be between 0 and 1000"; `contactEmails` and
  `contactGroups` at most 50 each (maxItems); "Must have at least one contact email or contact group specified at
  the Subscription or Resource Group scopes"; contact groups are "Action groups ... as a fully qualified Azure resource
  id"; `thresholdType` Actual (default) or Forecasted; operator `GreaterThan` is the one the spec recommends.
- terraform-provider-azurerm, `consumption_budget_resource_group`: changing `time_period.start_date` "forces a new
  Resource Group Consumption Budget to be created" (Azure does not change a budget's start date in place), so a
  budget keeps the start date it was created with: a re-run in a later month sends it back unchanged.
- Whether deleting a resource group deletes its budgets is not documented in the sources read (unverified);
  playbooks/teardown.yml deletes the budget before the group so nothing is left either way.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.carry import Carried
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId, ids_equal
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, validate_name

BUDGET_TYPE = "Microsoft.Consumption/budgets"
ACTION_GROUP_TYPE = "Microsoft.Insights/actionGroups"
API = GenericApi("2026-06-01")   # no SDK: ARM's generic operations (docs/resource-engine.md)
TIME_GRAINS = ("Monthly", "Quarterly", "Annually")
MAX_NOTIFICATIONS = 5
MAX_CONTACTS = 50
OPERATOR = "GreaterThan"
# 1-63 letters, digits, _ and -, starting with a letter or digit (the plan's naming rule for budgets; the spec
# gives no pattern, so the module refuses only what the plan never generates).
NAME_RE = re.compile(r"^[A-Za-z0-9][\w-]{0,62}$")
EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def _percent(value, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1000:
        raise AzureInputError(f"{what}: {value!r} is not a percentage Azure accepts (greater than 0, at most 1000)")
    return int(value) if float(value).is_integer() else float(value)


def _date(value, what: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError as err:
        raise AzureInputError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from err


def first_of_month(today: datetime.date) -> datetime.date:
    return today.replace(day=1)


def validate_budget(params: dict) -> dict:
    """Checks before any call; the normalised wanted values."""
    validate_name(params["resource_group"], "resource_group", "resource group")
    if not NAME_RE.match(params["name"] or ""):
        raise AzureInputError(f"name: {params['name']!r} is not a valid budget name; use 1-63 letters, digits, _ and -, "
                              "starting with a letter or digit")
    amount = params.get("amount")
    if amount is not None and (isinstance(amount, bool) or amount <= 0):
        raise AzureInputError(f"amount: {amount!r} must be a positive number (the budget's amount per time grain)")
    actual = [_percent(t, "thresholds") for t in params.get("thresholds") or []]
    forecast = [_percent(t, "forecast_thresholds") for t in params.get("forecast_thresholds") or []]
    for what, values in (("thresholds", actual), ("forecast_thresholds", forecast)):
        if len(set(values)) != len(values):
            raise AzureInputError(f"{what}: {values} lists a threshold twice")
    if len(actual) + len(forecast) > MAX_NOTIFICATIONS:
        raise AzureInputError(f"thresholds and forecast_thresholds: {len(actual) + len(forecast)} notifications; Azure "
                              f"allows at most {MAX_NOTIFICATIONS} per budget")
    emails = list(params.get("contact_emails") or [])
    for email in emails:
        if not isinstance(email, str) or not EMAIL_RE.match(email):
            raise AzureInputError(f"contact_emails: {email!r} is not an e-mail address (name@domain.tld)")
    groups = [str(ResourceId.parse(g, "contact_groups", expect_type=ACTION_GROUP_TYPE)) for g in params.get("contact_groups") or []]
    for what, values in (("contact_emails", emails), ("contact_groups", groups)):
        if len(values) > MAX_CONTACTS:
            raise AzureInputError(f"{what}: {len(values)} given; Azure allows at most {MAX_CONTACTS} per notification")
    if (actual or forecast) and not (emails or groups) and params.get("state", "present") == "present":
        raise AzureInputError("contact_emails or contact_groups: a resource group's budget needs at least one contact e-mail "
                              "or action group for its notifications")
    start = _date(params["start_date"], "start_date") if params.get("start_date") else None
    if start is not None and start.day != 1:
        raise AzureInputError(f"start_date: {start} is not the first of a month (Azure requires it)")
    end = _date(params["end_date"], "end_date") if params.get("end_date") else None
    return {"amount": amount, "time_grain": params.get("time_grain") or "Monthly", "thresholds": actual,
            "forecast_thresholds": forecast, "contact_emails": emails, "contact_groups": groups,
            "start_date": start, "end_date": end}


def notification_key(kind: str, threshold) -> str:
    """Azure's own naming in its examples: Actual_GreaterThan_80_Percent."""
    return f"{kind}_{OPERATOR}_{threshold}_Percent"


def _notifications(wanted: dict) -> dict:
    out = {}
    for kind, key in (("Actual", "thresholds"), ("Forecasted", "forecast_thresholds")):
        for threshold in wanted[key]:
            out[notification_key(kind, threshold)] = {
                "enabled": True, "operator": OPERATOR, "threshold": threshold, "thresholdType": kind,
                "contactEmails": list(wanted["contact_emails"]), "contactGroups": list(wanted["contact_groups"])}
    return out


def _iso(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def budget_view(doc: dict | None) -> dict:
    if not doc:
        return {}
    props = doc.get("properties") or {}
    period = props.get("timePeriod") or {}
    notes = props.get("notifications") or {}
    emails, groups = set(), set()
    actual, forecast = [], []
    for note in notes.values():
        (forecast if note.get("thresholdType") == "Forecasted" else actual).append(note.get("threshold"))
        emails.update(note.get("contactEmails") or [])
        groups.update(note.get("contactGroups") or [])
    return {"id": doc.get("id"), "name": doc.get("name"), "category": props.get("category"), "amount": props.get("amount"),
            "time_grain": props.get("timeGrain"), "start_date": str(period.get("startDate") or "")[:10] or None,
            "end_date": str(period.get("endDate") or "")[:10] or None,
            "thresholds": sorted(actual), "forecast_thresholds": sorted(forecast),
            "contact_emails": sorted(emails), "contact_groups": sorted(groups),
            "current_spend": (props.get("currentSpend") or {}).get("amount")}


def _same_groups(have: list, want: list) -> bool:
    return len(have) == len(want) and all(any(ids_equal(h, w) for h in have) for w in want)


def plan_budget(existing: dict | None, wanted: dict, today: datetime.date) -> Plan:
    """Create (PUT), a PUT of the whole budget when what the task set differs, or nothing. The start date of an existing
    budget is kept (Azure does not change it in place)."""
    if existing is None and wanted["amount"] is None:
        raise AzureInputError("amount is needed to create the budget")
    have = budget_view(existing)
    if existing and wanted["start_date"] and str(wanted["start_date"]) != have.get("start_date"):
        raise AzureInputError(f"start_date: the budget starts on {have.get('start_date')}; Azure cannot change a budget's "
                              f"start date to {wanted['start_date']} (delete the budget to start it again)")
    start = (_date(have["start_date"], "start_date") if existing and have.get("start_date")
             else wanted["start_date"] or first_of_month(today))
    end = wanted["end_date"] or (_date(have["end_date"], "end_date") if have.get("end_date") else None)
    if end is not None and end <= start:
        raise AzureInputError(f"end_date: {end} is not after the start date {start}")
    given = {"amount": wanted["amount"], "time_grain": wanted["time_grain"], "thresholds": sorted(wanted["thresholds"]),
             "forecast_thresholds": sorted(wanted["forecast_thresholds"]), "contact_emails": sorted(wanted["contact_emails"]),
             "contact_groups": sorted(wanted["contact_groups"])}
    if wanted["amount"] is None:
        given["amount"] = have.get("amount")
    after = dict(given, start_date=str(start), end_date=str(end) if end else have.get("end_date"))
    props = {"category": "Cost", "amount": given["amount"], "timeGrain": given["time_grain"],
             "timePeriod": dict({"startDate": _iso(start)}, **({"endDate": _iso(end)} if end else {})),
             "notifications": _notifications(wanted)}
    if existing is None:
        return Plan("create", {"properties": props}, {}, after)
    before = {k: have.get(k) for k in after}
    changed = any(not (_same_groups(before[k], v) if k == "contact_groups" else before[k] == v)
                  for k, v in after.items() if k != "end_date" or wanted["end_date"])
    if changed and existing.get("eTag"):
        return Plan("put", {"eTag": existing["eTag"], "properties": props}, before, after)
    return Plan("put" if changed else "none", {"properties": props} if changed else None, before, after)


class Budget(Resource):
    what = "budget"
    result_key = "budget"
    api = API
    provider_type = BUDGET_TYPE
    tags_method = None
    # BudgetProperties (2026-06-01): a budget narrowed to some resources by a filter set elsewhere stays narrowed (carry.py)
    carried = Carried(properties={"filter": None})

    def validate(self):
        self.wanted = validate_budget(self.params)

    def view(self, doc):
        return budget_view(doc)

    def deleted_view(self, existing, related):
        return {k: v for k, v in budget_view(existing).items() if k not in ("id", "current_spend")}

    def plan(self, existing, related):
        return plan_budget(existing, self.wanted, datetime.datetime.now(datetime.timezone.utc).date())
