# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn Azure SDK exceptions into one readable message. PRIVATE to the collection.

Duck-typed on the attributes azure-core's exceptions carry (status_code, error.code,
error.message, response.headers), so it is testable without the SDK.
"""

from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.tls import refused_certificate


def _request_id(exc) -> str | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return headers.get("x-ms-request-id") or headers.get("x-ms-correlation-request-id")
    except AttributeError:
        return None


def _first_line(text: str) -> str:
    # azure-core appends "Code: ...\nMessage: ...\nTarget: ..." blocks; the first line carries the sense.
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def error_code(exc) -> str | None:
    """The ARM error code (`error.code` of the response body) an SDK exception carries, if any."""
    return getattr(getattr(exc, "error", None), "code", None)


def is_subscription_not_found(exc) -> bool:
    """True for ARM's 404 SubscriptionNotFound: a wrong or inaccessible subscription, not a missing resource."""
    return getattr(exc, "status_code", None) == 404 and (error_code(exc) or "").lower() == "subscriptionnotfound"


def describe_azure_error(exc, operation: str, auth_origin: str | None = None, subscription_id: str | None = None) -> dict:
    """A dict for fail_json: `msg` plus `azure_error` (operation, code, message, status, request id)."""
    kind = type(exc).__name__
    code = error_code(exc)
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None) or _first_line(getattr(exc, "message", None) or str(exc))
    status = getattr(exc, "status_code", None)
    request_id = _request_id(exc)
    details = {"operation": operation, "code": code, "message": message, "status_code": status,
               "request_id": request_id, "exception": kind}

    if kind in ("ClientAuthenticationError", "CredentialUnavailableError"):
        origin = f" with credentials from {auth_origin}" if auth_origin else ""
        msg = f"{operation} failed: Azure authentication failed{origin}: {message}"
    elif kind in ("ServiceRequestError", "ServiceRequestTimeoutError"):
        msg = f"{operation} failed: could not reach Azure: {message}"
    elif kind in ("ServiceResponseError", "ServiceResponseTimeoutError"):
        msg = f"{operation} failed: no usable response from Azure: {message}"
    else:
        head = f"{operation} failed"
        if status:
            head += f" (HTTP {status})"
        msg = f"{head}: {code + ': ' if code else ''}{message}"
        if (code or "") == "AuthorizationFailed" and "roleassignments/" in (message or "").lower():
            # learn.microsoft.com azure/role-based-access-control/troubleshooting ("Unable to assign a role")
            msg += ("; assigning roles needs Microsoft.Authorization/roleAssignments/write at that scope or above (Owner, "
                    "User Access Administrator or Role Based Access Control Administrator; Contributor is not enough)")
        if is_subscription_not_found(exc):
            origin = f" (credentials from {auth_origin})" if auth_origin else ""
            msg += (f"; subscription_id {subscription_id or '(unknown)'} does not exist or the identity{origin} has no access to it: "
                    "check the subscription_id option (or AZURE_SUBSCRIPTION_ID) and the identity's role assignments on that subscription")
    msg += _certificate_hint(refused_certificate(exc))
    if request_id:
        msg += f" [x-ms-request-id: {request_id}]"
    return {"msg": msg, "azure_error": details}


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH (include/openssl/x509_vfy.h): the
# certificate verifies but names other hosts.
_NAME_MISMATCH = (62, 64)


def _certificate_hint(refused) -> str:
    """What to do about a server certificate that did not verify ('' when none did)."""
    if refused is None:
        return ""
    if getattr(refused, "verify_code", None) in _NAME_MISMATCH:
        return "; the server's TLS certificate does not name the host asked: check the URL (cloud_environment, the vault's URI)"
    return ("; the server's TLS certificate does not verify against the CA bundle in use: if a TLS-inspecting proxy, "
            "Azure Stack or a private CA issued it, set the ca_bundle option (or REQUESTS_CA_BUNDLE) to that CA's PEM file")


def describe_failed_operation(err, operation: str) -> dict:
    """fail_json arguments for a long-running operation that ended Failed or Canceled (arm.OperationFailed)."""
    code = getattr(err, "code", None)
    message = getattr(err, "message", None) or "no message"
    msg = f"{operation} failed: the operation ended {getattr(err, 'status', 'Failed')}: {code + ': ' if code else ''}{message}"
    return {"msg": msg, "azure_error": {"operation": operation, "code": code, "message": message,
                                        "status": getattr(err, "status", None), "exception": "OperationFailed"}}
