"""Azure-shaped errors: {"error": {"code", "message", "details"?}} with an HTTP status.

Where a code and message are Azure's own (seen in real responses), the helper says so; the
others are the emulator's best equivalent and are listed in docs/emulator.md.
"""
from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An error response. Raised anywhere below the router; the router renders it."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None,
                 headers: dict | None = None, innererror: str | None = None) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.innererror = innererror   # Key Vault's data plane: {"innererror": {"code": ...}}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        if self.innererror:
            error["innererror"] = {"code": self.innererror}
        return {"error": error}


# --- ARM (Microsoft.Resources) codes, as Azure returns them -------------------------------

def subscription_not_found(subscription_id: str) -> ArmError:
    return ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")


def resource_group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def resource_not_found(type_name: str, name: str, resource_group: str) -> ArmError:
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{type_name}/{name}' under resource group '{resource_group}' was not found. "
                    "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def nested_not_found(resource_id: str) -> ArmError:
    # The network RP answers a missing child (subnet, security rule) with a bare NotFound.
    return ArmError(404, "NotFound", f"Resource {resource_id} not found.")


def missing_api_version() -> ArmError:
    return ArmError(400, "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.")


def invalid_request(message: str, code: str = "InvalidRequestContent") -> ArmError:
    return ArmError(400, code, message)


def no_route(method: str, path: str) -> ArmError:
    return ArmError(400, "InvalidResourceType" if method != "POST" else "InvalidAction",
                    f"The resource type or action for '{method} {path}' is not supported by the ARM emulator.")


def location_not_available(location: str, type_name: str, allowed: str) -> ArmError:
    return ArmError(400, "LocationNotAvailableForResourceType",
                    f"The provided location '{location}' is not available for resource type '{type_name}'. "
                    f"List of available regions for the resource type is '{allowed}'.")


def location_required() -> ArmError:
    return ArmError(400, "LocationRequired", "The location property is required for this definition.")


def precondition_failed(message: str) -> ArmError:
    return ArmError(412, "PreconditionFailed", message)
