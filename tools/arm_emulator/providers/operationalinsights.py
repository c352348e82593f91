"""Microsoft.OperationalInsights: Log Analytics workspaces and the retention of their tables.

Sources: REST spec stable 2025-07-01 (Workspaces.json, Tables.json) and learn.microsoft.com
azure-monitor/logs/data-retention-configure; docs/emulator.md lists each rule with its source. Every
valid table name reads as an existing table (Azure's built-in tables exist in every workspace); the
status codes of the refusals below are unverified.
"""
from __future__ import annotations

import re
import uuid

from ..errors import ArmError
from .base import Context, Ref, TopLevelType, require_dict

NS = "Microsoft.OperationalInsights"
SKUS = ("Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation", "LACluster")
RETIRED_SKUS = ("Free", "Standard", "Premium")
YEARS = (1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018, 4383)


def _bad(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)   # code unverified (docs/emulator.md)


class Workspaces(TopLevelType):
    namespace, types = NS, ("workspaces",)
    name_pattern = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")
    name_rule = "Workspace names have 4-63 letters, digits and hyphens, starting and ending with a letter or digit."

    def build_properties(self, ctx: Context, ref: Ref, body: dict, existing: dict | None, location: str) -> dict:
        props = dict(require_dict(body.get("properties"), "properties"))
        sku = require_dict(props.get("sku") or {"name": "PerGB2018"}, "properties.sku")
        if sku.get("name") not in SKUS:
            raise _bad(f"properties.sku.name '{sku.get('name')}' is not one of {', '.join(SKUS)}.")
        if sku["name"] in RETIRED_SKUS:   # in the spec's enum, refused by Azure (docs/emulator.md)
            raise _bad("Pricing tier doesn't match the subscription's billing model. Read http://aka.ms/PricingTierWarning "
                       "for more details.")
        days = props.get("retentionInDays", 30)
        if sku["name"] == "PerGB2018" and not (isinstance(days, int) and 30 <= days <= 730):
            raise _bad(f"retentionInDays {days} is out of range: the PerGB2018 tier keeps data 30 to 730 days.")
        old = (existing or {}).get("properties", {})
        return dict(props, sku=sku, retentionInDays=days, customerId=old.get("customerId") or str(uuid.uuid4()),
                    provisioningState="Succeeded")

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # Workspaces_Update: properties and tags
        doc = self.get(ctx, ref)
        merged = dict(doc["properties"], **require_dict(body.get("properties"), "properties"))
        doc["properties"] = self.build_properties(ctx, ref, {"properties": merged}, doc, doc["location"])
        return super().patch(ctx, ref, body)


class Tables(TopLevelType):
    namespace, types, lro_patch = NS, ("workspaces", "tables"), True
    name_pattern = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")

    def find(self, ctx: Context, ref: Ref) -> dict | None:
        workspace = ctx.handler(f"{NS}/workspaces").get(ctx, ref.parent())
        self.validate_name(ref.name)
        days = workspace["properties"]["retentionInDays"]
        return ctx.state.get(ref.id) or {"id": ref.id, "name": ref.name, "type": self.type_name, "properties": {
            "retentionInDays": days, "totalRetentionInDays": days, "archiveRetentionInDays": 0, "plan": "Analytics",
            "retentionInDaysAsDefault": True, "totalRetentionInDaysAsDefault": True, "provisioningState": "Succeeded"}}

    def patch(self, ctx: Context, ref: Ref, body: dict) -> dict:   # Tables_Update
        doc, props = self.get(ctx, ref), require_dict(body.get("properties"), "properties")
        days, total = props.get("retentionInDays", doc["properties"]["retentionInDays"]), props.get("totalRetentionInDays")
        total = days if total in (None, -1) else total
        if not 4 <= days <= 730 or not (4 <= total <= 730 or total in YEARS) or total < days:
            raise _bad(f"Table {ref.name}: retentionInDays {days} must be 4-730 and totalRetentionInDays {total} at least "
                       f"as long, 4-730 or whole years ({', '.join(map(str, YEARS))}).")
        doc["properties"].update(retentionInDays=days, totalRetentionInDays=total, archiveRetentionInDays=total - days,
                                 retentionInDaysAsDefault=False, totalRetentionInDaysAsDefault=False)
        ctx.state.put(doc)
        return doc


TYPES = [Workspaces(), Tables()]
