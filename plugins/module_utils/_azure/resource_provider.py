# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource provider registration of a subscription, for the resource engine. PRIVATE to the collection.

A fresh subscription answers a write into an unregistered namespace with 409 MissingSubscriptionRegistration
(learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider). The SDK's
ARMAutoResourceProviderRegistrationPolicy registers on the fly when the identity may, but an identity that may not
register meets the 409 only at the first write of that type, late in a deploy. This resource checks (and registers,
where allowed) every namespace a deployment needs before its first write: GET and POST register of
Microsoft.Resources' Providers operations.
"""

from __future__ import annotations

import re

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.arm import GenericApi
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.ids import ResourceId
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.resource_group import API as RESOURCES_API
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.runner import Child, Plan, Resource
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

NAMESPACE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$")
API = GenericApi(RESOURCES_API.api_version)


class ProviderRef(ResourceId):
    """/subscriptions/{s}/providers/{namespace}: a ResourceId with a namespace and no types."""

    @property
    def name(self) -> str:
        return self.namespace

    def __str__(self) -> str:
        return f"/subscriptions/{self.subscription}/providers/{self.namespace}"


def register_action(namespace: str) -> str:
    """The operation that registers `namespace`, always at the subscription (learn.microsoft.com azure/
    azure-resource-manager/management/resource-providers-and-types: "/register/action"; Contributor and Owner have it)."""
    return f"{namespace}/register/action"


def owner_command(namespace: str) -> str:
    """What a subscription owner runs once when the identity may not register `namespace`."""
    return f"az provider register --namespace {namespace}"


def registration(namespaces: list, providers: list) -> dict:
    """The registration of `namespaces` as read (`providers`: Providers_Get answers): the state of each, those not
    registered, the operations an identity needs to register them and what an owner runs instead. One source for the
    module's writes, its failure message and what the preflight reports."""
    states = {p.get("namespace", "").lower(): p.get("registrationState") or "NotRegistered" for p in providers}
    state = {ns: states.get(ns.lower(), "NotRegistered") for ns in namespaces}
    unregistered = [ns for ns in namespaces if state[ns] != "Registered"]
    return {"state": state, "unregistered": unregistered,
            "register_actions": [register_action(ns) for ns in unregistered],
            "owner_commands": [owner_command(ns) for ns in unregistered]}


def validate_namespaces(namespaces: list) -> list:
    for namespace in namespaces:
        if not NAMESPACE_RE.match(namespace or ""):
            raise AzureInputError(f"namespaces: {namespace!r} is not a resource provider namespace such as Microsoft.Network")
    return list(dict.fromkeys(namespaces))


class ResourceProviders(Resource):
    """The subscription as the 'resource'; each namespace not yet registered is a child write (POST register)."""

    what = "resource providers of subscription"
    result_key = "providers"
    api = API

    def validate(self):
        self.namespaces = validate_namespaces(self.params["namespaces"])
        self.registration = registration(self.namespaces, [])

    def resource_id(self) -> ResourceId:
        return ResourceId(self.module.subscription_id)

    def get(self, rid):
        return {"subscriptionId": rid.subscription}   # nothing of the subscription itself is read or written

    def read_related(self, rid, existing):
        """Each namespace's registration; one still "Registering" is waited for (polled every 5 s, within timeout)."""
        deadline = self.module.deadline()
        while True:
            with self.module.operation(f"read the registration of {', '.join(self.namespaces)}"):
                providers = [API.get(self.module, ProviderRef(rid.subscription, None, ns)) for ns in self.namespaces]
            if not any(p.get("registrationState") == "Registering" for p in providers) or self.module.arm.clock() + 5 > deadline:
                return {"providers": providers}
            self.module.arm.sleep(5)

    def view(self, doc):
        return {}

    def plan(self, existing, related):
        self.registration = registration(self.namespaces, related["providers"])
        missing = self.registration["unregistered"]
        children = [Child(f"register resource provider {ns} (an identity that may not: ask a subscription owner to run "
                          f"'{owner_command(ns)}')", "POST",
                          f"{ProviderRef(existing['subscriptionId'], None, ns)}/register", None, API) for ns in missing]
        return Plan("none", None, {"unregistered": missing}, {"unregistered": []}, children)

    def result(self, doc, related):
        # unregistered, register_actions, owner_commands: as read before any registration (what the task registers,
        # or would in check mode); providers: the state after the task (predicted in check mode).
        read = {k: v for k, v in self.registration.items() if k != "state"}
        if self.module.check_mode:
            return dict(read, providers={ns: "Registered" for ns in self.namespaces})
        return dict(read, providers=registration(self.namespaces, related.get("providers", []))["state"])
