# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM resource ids: one parser and one builder for every module. PRIVATE to the collection.

A resource id is /subscriptions/{s}[/resourceGroups/{g}][/providers/{Namespace}/{type}/{name}[/{type}/{name}...]]
(ARM's documented form). Ids compare case-insensitively, as ARM treats them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

_FORM = "/subscriptions/<id>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>"


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM resource id. `types`/`names` pair up below the provider namespace."""

    subscription: str
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple = ()
    names: tuple = ()

    @classmethod
    def parse(cls, text: str, what: str = "resource id", expect_type: str | None = None) -> "ResourceId":
        """Parse `text`; with `expect_type` ("Microsoft.Network/virtualNetworks/subnets") the type must match."""
        parts = [p for p in str(text or "").strip().split("/") if p]
        ok = len(parts) >= 2 and parts[0].lower() == "subscriptions"
        rid = None
        if ok:
            rest, group = parts[2:], None
            if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
                group, rest = rest[1], rest[2:]
            if not rest:
                rid = cls(parts[1], group)
            elif len(rest) >= 4 and rest[0].lower() == "providers" and len(rest) % 2 == 0:
                pairs = rest[2:]
                rid = cls(parts[1], group, rest[1], tuple(pairs[0::2]), tuple(pairs[1::2]))
        if rid is None:
            raise AzureInputError(f"{what}: {text!r} is not an Azure resource id ({_FORM})")
        if expect_type and rid.type_name.lower() != expect_type.lower():
            raise AzureInputError(f"{what}: {text!r} is a {rid.type_name or 'subscription'} id, not a {expect_type} id")
        return rid

    @classmethod
    def build(cls, subscription: str, resource_group: str | None, provider_type: str | None = None, *names: str) -> "ResourceId":
        """From a provider type ("Microsoft.Network/virtualNetworks/subnets") and one name per type."""
        if not provider_type:
            return cls(subscription, resource_group)
        namespace, *types = provider_type.split("/")
        if len(types) != len(names):
            raise ValueError(f"{provider_type} needs {len(types)} names, got {len(names)}")
        return cls(subscription, resource_group, namespace, tuple(types), tuple(names))

    @property
    def name(self) -> str:
        return self.names[-1] if self.names else (self.resource_group or self.subscription)

    @property
    def type_name(self) -> str:
        """Microsoft.Network/virtualNetworks/subnets; Microsoft.Resources/resourceGroups for a group."""
        if self.namespace:
            return "/".join((self.namespace,) + tuple(self.types))
        return "Microsoft.Resources/resourceGroups" if self.resource_group else ""

    @property
    def parent(self) -> "ResourceId":
        if len(self.types) > 1:
            return ResourceId(self.subscription, self.resource_group, self.namespace, self.types[:-1], self.names[:-1])
        return ResourceId(self.subscription, self.resource_group if self.namespace else None)

    def child(self, child_type: str, name: str) -> "ResourceId":
        return ResourceId(self.subscription, self.resource_group, self.namespace, self.types + (child_type,), self.names + (name,))

    def __str__(self) -> str:
        text = f"/subscriptions/{self.subscription}"
        if self.resource_group:
            text += f"/resourceGroups/{self.resource_group}"
        if self.namespace:
            text += f"/providers/{self.namespace}/" + "/".join(f"{t}/{n}" for t, n in zip(self.types, self.names))
        return text


def ids_equal(a: str | None, b: str | None) -> bool:
    """ARM resource ids compare case-insensitively."""
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def id_or_name(value: str, subscription_id: str, resource_group: str, provider_type: str, what: str = "resource") -> str:
    """A full id from a name (same subscription and group), from `<parent>/<child>` for a child type,
    or an id as given (checked to be of `provider_type`)."""
    value = (value or "").strip()
    if value.startswith("/"):
        return str(ResourceId.parse(value, what, expect_type=provider_type))
    names = value.split("/")
    depth = provider_type.count("/")
    if len(names) != depth or not all(names):
        form = "/".join(f"<{t}>" for t in provider_type.split("/")[1:])
        raise AzureInputError(f"{what}: {value!r} is neither a {provider_type} id nor {form}")
    return str(ResourceId.build(subscription_id, resource_group, provider_type, *names))


def name_from_id(value: str | None) -> str | None:
    return value.rstrip("/").rsplit("/", 1)[-1] if value else None
