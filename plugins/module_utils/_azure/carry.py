# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a PUT of an existing resource carries over from it. PRIVATE to the collection.

A PUT replaces the resource with the body sent: that is the conventional semantics of ARM's PUT, which Microsoft Learn
names as such when it documents the one exception (virtual-machines/put-calls-create-or-update: "Microsoft.Compute
resources do not support the conventional definition of HTTP PUT semantics"). The Network RP's public IPs, Bastion
hosts, private endpoints, peerings and flow logs change their properties only by PUT (their PATCH takes tags). A module
builds the properties it manages; sent alone, they would reset what someone set elsewhere (a public IP's DNS label, a
Bastion host's copy-paste switch, an endpoint's custom NIC name). So the runner adds, to the PUT of an existing
resource, the writable properties a type declares here that the body does not set, as the resource has them. Which
properties are writable is read from the REST spec of the api-version the module sends (read-only ones are never sent
back); whether Azure resets each left-out property, rather than keeping it, is unverified per property.

Pure Python: ARM REST JSON in, ARM REST JSON out.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable


def ids_only(value):
    """A sub-resource reference, or a list of them, as a body sends it: the id alone (a GET adds read-only parts)."""
    if isinstance(value, list):
        return [{"id": item["id"]} for item in value if isinstance(item, dict) and item.get("id")]
    return {"id": value["id"]} if isinstance(value, dict) and value.get("id") else None


def only_true(value):
    """A feature switch carried only when on: off is its default, so a PUT without it leaves it off, and a switch sent
    as false is one more value Azure could refuse on a SKU that lacks the feature."""
    return True if value is True else None


def identity_body(value):
    """A managed identity as a body sends it: its type and its user-assigned identities' ids. Azure adds read-only
    parts (principalId and tenantId; each user-assigned identity's principalId and clientId: the ManagedServiceIdentity
    of common-types and of each RP's spec), which are never sent back."""
    if not isinstance(value, dict) or not value.get("type"):
        return None
    body = {"type": value["type"]}
    if value.get("userAssignedIdentities"):
        body["userAssignedIdentities"] = {key: {} for key in value["userAssignedIdentities"]}
    return body


def without(*keys: str) -> Callable:
    """List items (or one object) without the given read-only keys."""
    def clean(value):
        if isinstance(value, list):
            return [{k: v for k, v in item.items() if k not in keys} for item in value if isinstance(item, dict)]
        return {k: v for k, v in value.items() if k not in keys} if isinstance(value, dict) else value
    return clean


@dataclass(frozen=True)
class Carried:
    """The writable parts of a type that its module does not manage: `properties` maps a name under `properties` to
    how its value is cleaned for a body (None: as read), `top_level` the same for keys beside `properties` (identity)."""

    properties: dict = field(default_factory=dict)
    top_level: dict = field(default_factory=dict)


def carry_over(existing: dict | None, body: dict, carried: Carried) -> dict:
    """`body` (a PUT of `existing`) with the carried parts `existing` has and `body` does not set; `body` as it is when
    nothing exists yet (a create)."""
    out = copy.deepcopy(body)
    if not existing:
        return out
    for key, value in _carried(existing, out, carried.top_level, keep_empty=False):
        out[key] = value
    for name, value in _carried(existing.get("properties") or {}, out.get("properties") or {}, carried.properties):
        out.setdefault("properties", {})[name] = value
    return out


def _carried(have: dict, sent: dict, cleaners: dict, keep_empty: bool = True):
    """(name, value) of each part `have` has and `sent` does not set, cleaned for a body."""
    for name, clean in cleaners.items():
        value = have.get(name)
        if name in sent or value is None or (not keep_empty and value in ({}, [])):
            continue
        value = copy.deepcopy(value)
        value = clean(value) if clean else value
        if value is not None:
            yield name, value
