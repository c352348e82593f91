"""Microsoft.Consumption budgets at a resource group's scope.

Sources (docs/emulator.md lists each rule with its status/code):
- REST spec Microsoft.Consumption stable 2026-06-01 openapi.json (specs/Microsoft.Consumption/2026-06-01/): PUT answers
  200/201 (not long-running), DELETE 200; the body (checked by openapi.check_body: category, amount, timeGrain and
  timePeriod.startDate required; each notification's enabled, operator, threshold and contactEmails required;
  contactEmails and contactGroups at most 50). The rules in the spec's descriptions, applied here: the start date is
  the first of a month, on or after 2017-06-01, at most twelve months ahead, a past one within the time grain's period,
  before the end date; at most five notifications; a threshold between 0 and 1000 (percent); at a resource group's
  scope at least one contact e-mail or contact group; contact groups are action group ids; the Billing* time grains
  "are only supported by WD customers" (the emulator's subscriptions are not); category Cost only. The status and codes
  of these refusals are unverified (400 BadRequest here).
- terraform-provider-azurerm (consumption_budget_resource_group): a new start date forces a new budget: an existing
  budget's startDate is not changed in place, so a PUT changing it is refused (code unverified).
- Budget has no location and no tags (a ProxyResource); eTag optional in a PUT (concurrency control): a stale one is
  refused with 412 (code unverified).
"""
from __future__ import annotations

import datetime
import re

from ..errors import ArmError
from ..state import new_etag
from .base import Context, Ref, TopLevelType, require_dict

NS = "Microsoft.Consumption"
EARLIEST = datetime.date(2017, 6, 1)
MONTHS = {"monthly": 1, "quarterly": 3, "annually": 12}
ACTION_GROUP = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/microsoft\.insights/actionGroups/[^/]+$", re.I)


def _bad(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)   # status and code unverified (docs/emulator.md)


def _date(value, what: str) -> datetime.date:
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError as err:
        raise _bad(f"{what} '{value}' is not a date-time.") from err


def _months_between(a: datetime.date, b: datetime.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


class Budgets(TopLevelType):
    namespace, types = NS, ("budgets",)
    lro_put = lro_delete = False
    name_pattern = re.compile(r"^[A-Za-z0-9][\w-]{0,62}$")
    name_rule = "Budget names in the emulator have 1-63 letters, digits, _ and -, starting with a letter or digit (Azure's rule unverified)."
    today = staticmethod(lambda: datetime.datetime.now(datetime.timezone.utc).date())

    def put(self, ctx: Context, ref: Ref, body: dict) -> tuple[dict, bool]:
        self.validate_name(ref.name)
        existing = self.find(ctx, ref)
        if body.get("eTag") and existing is not None and body["eTag"] != existing.get("eTag"):
            raise ArmError(412, "PreconditionFailed", "The eTag of the budget does not match its current eTag.")   # unverified
        props = self._check(require_dict(body.get("properties"), "properties"), existing)
        doc = {"id": existing["id"] if existing else ref.id, "name": ref.name, "type": self.type_name,
               "eTag": new_etag(weak=False).strip('"'), "properties": props}
        ctx.state.put(doc)
        return doc, existing is None

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:
        raise ArmError(405, "MethodNotAllowed", "The budgets API has no PATCH operation (Budgets_CreateOrUpdate is a PUT).")

    def _check(self, props: dict, existing: dict | None) -> dict:
        if props.get("category") != "Cost":
            raise _bad(f"category '{props.get('category')}' is not supported: budgets track Cost.")
        grain = str(props.get("timeGrain"))
        if grain.lower() not in MONTHS:
            raise _bad(f"timeGrain '{grain}' is not supported; Monthly, Quarterly or Annually (BillingMonth, BillingQuarter "
                       "and BillingAnnual are only supported by WD customers).")
        amount = props.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
            raise _bad(f"amount '{amount}' must be a positive number.")
        period = require_dict(props.get("timePeriod"), "timePeriod")
        start = _date(period.get("startDate"), "timePeriod.startDate")
        old = ((existing or {}).get("properties") or {}).get("timePeriod") or {}
        if existing is not None and old.get("startDate") and _date(old["startDate"], "startDate") != start:
            # Azure's message (Azure/CanadaPubSecALZ#317; "400: ..." in jpsnover/ai-triad-research#1697); the code: unverified.
            raise _bad("Start date of budgets cannot be updated. Please delete and create a new budget.")
        if existing is None:
            today = self.today()
            if start.day != 1:
                raise _bad("The start date must be first of the month.")
            if start < EARLIEST:
                raise _bad("Budget start date must be on or after June 1, 2017.")
            if _months_between(today, start) > 12:
                raise _bad("Future start date should not be more than twelve months.")
            if _months_between(start, today) >= MONTHS[grain.lower()]:
                raise _bad("Past start date should be selected within the timegrain period.")
        if period.get("endDate") and _date(period["endDate"], "timePeriod.endDate") <= start:
            raise _bad("The start date should be less than the end date.")
        end = period.get("endDate") or f"{start.replace(year=start.year + 10).isoformat()}T00:00:00Z"
        notes = require_dict(props.get("notifications"), "notifications")
        if len(notes) > 5:
            raise _bad(f"Budget can have up to five notifications; {len(notes)} given.")
        for key, note in notes.items():
            threshold = note.get("threshold")
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1000:
                raise _bad(f"notifications.{key}.threshold '{threshold}' has to be between 0 and 1000 (percent).")
            if not (note.get("contactEmails") or note.get("contactGroups")):
                raise _bad(f"notifications.{key}: must have at least one contact email or contact group at the Resource Group scope.")
            for group in note.get("contactGroups") or []:
                if not ACTION_GROUP.match(str(group)):
                    raise _bad(f"notifications.{key}.contactGroups: '{group}' is not an action group resource id.")
            note.setdefault("thresholdType", "Actual")
        return dict(props, timePeriod={"startDate": period["startDate"], "endDate": end}, notifications=notes,
                    currentSpend={"amount": 0, "unit": "USD"})


TYPES = [Budgets()]
