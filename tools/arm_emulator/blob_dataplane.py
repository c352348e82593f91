"""The Blob service data plane, for requests whose Host is <account>.blob.storage.localhost[:port].

Only what the audit trail callback and its tests use (docs/emulator.md, "Blob service data plane"):
Put Blob of a block blob (with If-None-Match: *), Get Blob, List Blobs of a container, Delete Blob (refused while a
time-based retention policy protects the blob). The storage suffix is the one the emulator's cloud metadata publishes
(identity.cloud_metadata: suffixes.storage = storage.localhost:<port>), the way Azure's clients build
https://<account>.blob.<storage suffix>; the host resolves (the CONNECT proxy of listener.py tunnels it) only while
the account exists.

Rules, each with its source (Microsoft Learn unless said otherwise; docs/emulator.md lists them):
- Authorization: a Microsoft Entra bearer token for https://storage.azure.com/ ("Authorize access to blobs using
  Microsoft Entra ID"); a token of another audience: 401 InvalidAuthenticationInfo ("Audience validation failed",
  the text of real answers quoted in Azure issue threads; status unverified); no Authorization header: 401
  NoAuthenticationInformation (Common REST API error codes). Shared Key or a SAS on an account with
  allowSharedKeyAccess false: 403 KeyBasedAuthenticationNotPermitted (real answers quoted in azure-storage-explorer and
  terraform-azurerm-avm issue threads); the emulator verifies no Shared Key signature at all, so on other accounts it
  refuses them too (403 AuthenticationFailed: stricter, the emulator's choice).
- x-ms-version is required on every authorized request: 400 MissingRequiredHeader (Put Blob, Get Blob, List Blobs:
  "Request headers"; Common REST API error codes). Entra ID needs version 2017-11-09 or later (Authorize with Microsoft
  Entra ID); the code for an older one is unverified.
- Network: public network access Disabled refuses every request that does not come through a private endpoint of the
  account's blob sub-resource: 403 AuthorizationFailure ("This request is not authorized to perform this operation.",
  Blob service error codes / Common REST API error codes; storage/common/storage-network-security). The caller is where
  the emulator's access settings put it (access.client_subnet, the same for every request, as for Key Vault): it comes
  through a private endpoint when its subnet's virtual network holds one to this account with groupId blob. A firewall
  (networkAcls.defaultAction Deny) admits the caller's address by an IP rule or its subnet by a virtual network rule
  (with the Microsoft.Storage service endpoint), else the same 403.
- RBAC: the token's principal needs an assignment at the container or above whose role holds the data action of the
  operation (Put Blob: .../containers/blobs/write; Get Blob and List Blobs: .../blobs/read; Delete Blob: .../blobs/delete;
  the "Permissions" section of each operation's page; the roles: built-in-roles/storage). Else 403
  AuthorizationPermissionMismatch ("This request is not authorized to perform this operation using this permission.",
  Blob service error codes). Owner and Contributor hold no data action: they are refused too.
- Put Blob: x-ms-blob-type is required (Put Blob, "Request headers"; 400 MissingRequiredHeader); only BlockBlob is
  served (the emulator refuses others: 400 InvalidHeaderValue, its own choice). If-None-Match: * on an existing blob:
  409 BlobAlreadyExists (Specifying conditional headers for Blob service operations: the wildcard fails the operation
  if the blob exists; the status and code: Blob service error codes and azure-cli issue #25019, where the SDK's upload
  without overwrite, which sends If-None-Match: *, answers 409 BlobAlreadyExists). Overwriting (or deleting) a blob
  still inside the container's time-based retention interval (days since the blob's creation, locked or unlocked
  policy): 409 BlobImmutableDueToPolicy (storage/blobs/immutable-time-based-retention-policy-overview; Blob service
  error codes). A missing container: 404 ContainerNotFound; a missing blob: 404 BlobNotFound (Blob service error codes).
- Error bodies are XML <Error><Code/><Message/></Error> with the code also in x-ms-error-code (Status and error codes).

Blobs live in the container's document (private key _blobs): name -> data (base64), etag, times, content type.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import time
import uuid
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from .providers import authorization

if TYPE_CHECKING:
    from .arm import Response
    from .server import App

STORAGE_SUFFIX = "storage.localhost"
BLOB_DNS_SUFFIX = f"blob.{STORAGE_SUFFIX}"
AUDIENCE = "https://storage.azure.com"
ENTRA_MIN_VERSION = "2017-11-09"
ACCOUNT_TYPE = "microsoft.storage/storageaccounts"
PE_TYPE = "microsoft.network/privateendpoints"
DATA = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/"


class BlobError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        super().__init__(f"({code}) {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def is_blob_host(host: str) -> bool:
    return host.split(":", 1)[0].lower().endswith("." + BLOB_DNS_SUFFIX)


def account_by_host(state, host: str) -> dict | None:
    name = host.split(":", 1)[0].lower().removesuffix("." + BLOB_DNS_SUFFIX)
    return next((d for d in state.resources.values()
                 if d.get("type", "").lower() == ACCOUNT_TYPE and d["name"].lower() == name), None)


def resolvable(app: "App", host: str) -> bool:
    """Whether <account>.blob.<suffix> would resolve in DNS: only while the account exists."""
    with app.state.lock:
        return account_by_host(app.state, host) is not None


def _now_http() -> str:
    return formatdate(usegmt=True)


def _xml_error(err: BlobError, request_id: str) -> bytes:
    when = time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())
    return (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{escape(err.code)}</Code><Message>'
            f"{escape(err.message)}\nRequestId:{request_id}\nTime:{when}</Message></Error>").encode()


def handle(app: "App", method: str, raw_path: str, headers: dict, raw_body: bytes, info: dict) -> "Response":
    """Answer one Blob service request (an arm.Response whose body is bytes)."""
    from .arm import Response  # pylint: disable=import-outside-toplevel  # arm imports providers

    request_id = str(uuid.uuid4())
    try:
        status, body, out = _handle(app, method, raw_path, headers, raw_body, info)
    except BlobError as err:
        info["error_code"] = err.code
        out = dict(err.headers, **{"x-ms-error-code": err.code, "Content-Type": "application/xml"})
        status, body = err.status, _xml_error(err, request_id)
    out.setdefault("x-ms-version", headers.get("x-ms-version", ""))
    out["Date"] = _now_http()
    return Response(status, body, out)


def _handle(app: "App", method: str, raw_path: str, headers: dict, raw_body: bytes, info: dict):
    host = headers.get("host", "")
    parts = urlsplit(raw_path)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    path = unquote(parts.path).lstrip("/")
    container, _, blob = path.partition("/")
    operation = _operation(method, container, blob, query)
    info["operation"] = f"blob/{operation}"
    info["api_version"] = headers.get("x-ms-version", "")
    with app.state.lock:
        account = account_by_host(app.state, host)
        if account is None:   # Azure: the name would not resolve; reached only by addressing the emulator directly
            raise BlobError(404, "ResourceNotFound", "The specified resource does not exist.")   # code unverified
        claims = _authenticate(app, account, headers, query)
        version = headers.get("x-ms-version")
        if not version:
            raise BlobError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not "
                                                          "specified.\nHeaderName: x-ms-version")
        if version < ENTRA_MIN_VERSION:
            raise BlobError(400, "InvalidHeaderValue", f"Authorization with Microsoft Entra ID requires x-ms-version "
                                                       f"{ENTRA_MIN_VERSION} or later, not {version}.")   # code unverified
        if operation == "unsupported":
            raise BlobError(400, "UnsupportedOperation", f"The emulator's Blob service does not serve {method} "
                                                         f"/{path}?{parts.query} (only Put Blob, Get Blob, List Blobs, "
                                                         "Delete Blob).")   # the emulator's own refusal
        _check_network(app, account)
        container_doc = app.state.get(f"{account['id']}/blobServices/default/containers/{container}")
        action = DATA + {"put": "write", "get": "read", "list": "read", "delete": "delete"}[operation]
        scope = f"{account['id']}/blobServices/default/containers/{container}"
        if not authorization.allowed(app.state, claims.get("oid", ""), scope, action, data=True):
            raise BlobError(403, "AuthorizationPermissionMismatch",
                            "This request is not authorized to perform this operation using this permission.")
        if container_doc is None:
            raise BlobError(404, "ContainerNotFound", "The specified container does not exist.")
        blobs = container_doc.setdefault("_blobs", {})
        if operation == "list":
            return 200, _list(account, container, blobs, query.get("prefix", "")), {"Content-Type": "application/xml"}
        if operation == "get":
            entry = _existing(blobs, blob)
            return 200, base64.b64decode(entry["data"]), dict(_props_headers(entry), **{"x-ms-blob-type": "BlockBlob"})
        if operation == "delete":
            _check_retention(container_doc, _existing(blobs, blob))
            del blobs[blob]
            app.state.save()
            return 202, b"", {}
        return _put(app, container_doc, blobs, blob, headers, raw_body)


def _operation(method: str, container: str, blob: str, query: dict) -> str:
    if method == "GET" and container and not blob and query.get("restype") == "container" and query.get("comp") == "list":
        return "list"
    if container and blob and "comp" not in query and "restype" not in query:
        return {"PUT": "put", "GET": "get", "DELETE": "delete"}.get(method, "unsupported")
    return "unsupported"


def _authenticate(app: "App", account: dict, headers: dict, query: dict) -> dict:
    auth = headers.get("authorization", "")
    props = account.get("properties") or {}
    key_based = auth.lower().startswith(("sharedkey ", "sharedkeylite ")) or "sig" in query
    if key_based:
        if props.get("allowSharedKeyAccess") is False:
            raise BlobError(403, "KeyBasedAuthenticationNotPermitted",
                            "Key based authentication is not permitted on this storage account.")
        raise BlobError(403, "AuthenticationFailed", "Server failed to authenticate the request: the emulator accepts "
                                                     "Microsoft Entra tokens only (no Shared Key, no SAS).")
    challenge = {"WWW-Authenticate": f"Bearer authorization_uri={_server_url(app)}/{account_tenant(app)}/oauth2/authorize "
                                     f"resource_id={AUDIENCE}"}
    if not auth.lower().startswith("bearer "):
        raise BlobError(401, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to "
                                                            "the information in the www-authenticate header.", challenge)
    claims = app.issuer.verify(auth[7:].strip())
    if claims is None:
        raise BlobError(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the "
                                                          "information in the www-authenticate header.\n"
                                                          "AuthenticationErrorDetail: the token is invalid or expired.",
                        challenge)
    if str(claims.get("aud", "")).rstrip("/") != AUDIENCE:
        raise BlobError(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the "
                                                          "information in the www-authenticate header.\n"
                                                          "AuthenticationErrorDetail: Audience validation failed. "
                                                          "Audience did not match.", challenge)
    return claims


def account_tenant(app: "App") -> str:
    from .identity import DEFAULT_TENANT  # pylint: disable=import-outside-toplevel
    return DEFAULT_TENANT


def _server_url(app: "App") -> str:
    from .keyvault_dataplane import _server_url as url  # pylint: disable=import-outside-toplevel
    return url(app.state_dir)


def _check_network(app: "App", account: dict) -> None:
    access = app.config.access_snapshot()
    if access["mode"] != "strict":
        return
    props = account.get("properties") or {}
    refused = BlobError(403, "AuthorizationFailure", "This request is not authorized to perform this operation.")
    subnet_id = (access.get("client_subnet") or "").lower()
    if subnet_id and _through_private_endpoint(app.state, account["id"], subnet_id):
        return
    if str(props.get("publicNetworkAccess", "Enabled")).lower() == "disabled":
        raise refused
    acls = props.get("networkAcls") or props.get("networkRuleSet") or {}
    if str(acls.get("defaultAction", "Allow")) != "Deny":
        return
    address = ipaddress.IPv4Address(access["client_address"])
    for rule in acls.get("ipRules") or []:
        try:
            if address in ipaddress.IPv4Network(str(rule.get("value") or rule.get("iPAddressOrRange")), strict=False):
                return
        except ValueError:
            continue
    if subnet_id and any((r.get("id") or "").lower() == subnet_id for r in acls.get("virtualNetworkRules") or []):
        subnet = app.state.find(subnet_id)
        endpoints = [e.get("service", "").lower() for e in ((subnet or {}).get("properties") or {}).get("serviceEndpoints", [])]
        if "microsoft.storage" in endpoints or "microsoft.storage.global" in endpoints:
            return
    raise refused


def _through_private_endpoint(state, account_id: str, subnet_id: str) -> bool:
    """Whether the caller's subnet sits in a virtual network holding an approved private endpoint to the account's blob."""
    vnet = subnet_id.split("/subnets/")[0]
    for doc in state.resources.values():
        if doc.get("type", "").lower() != PE_TYPE:
            continue
        props = doc.get("properties") or {}
        if str((props.get("subnet") or {}).get("id", "")).lower().split("/subnets/")[0] != vnet:
            continue
        for conn in props.get("privateLinkServiceConnections") or []:
            cprops = conn.get("properties") or {}
            if (str(cprops.get("privateLinkServiceId", "")).lower() == account_id.lower()
                    and [g.lower() for g in cprops.get("groupIds") or []] == ["blob"]
                    and (cprops.get("privateLinkServiceConnectionState") or {}).get("status") == "Approved"):
                return True
    return False


def _existing(blobs: dict, name: str) -> dict:
    entry = blobs.get(name)
    if entry is None:
        raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")
    return entry


def _retention_days(container_doc: dict) -> int:
    props = container_doc.get("properties") or {}
    policy = (props.get("immutabilityPolicy") or {}).get("properties") or {}
    return int(policy.get("immutabilityPeriodSinceCreationInDays") or 0) if props.get("hasImmutabilityPolicy") else 0


def _check_retention(container_doc: dict, entry: dict) -> None:
    days = _retention_days(container_doc)
    if days and time.time() < entry["created"] + days * 86400:
        raise BlobError(409, "BlobImmutableDueToPolicy",
                        "This operation is not permitted as the blob is immutable due to a policy.")


def _put(app: "App", container_doc: dict, blobs: dict, name: str, headers: dict, raw_body: bytes):
    blob_type = headers.get("x-ms-blob-type")
    if not blob_type:
        raise BlobError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not "
                                                      "specified.\nHeaderName: x-ms-blob-type")
    if blob_type != "BlockBlob":
        raise BlobError(400, "InvalidHeaderValue", f"The emulator serves block blobs only, not x-ms-blob-type {blob_type}.")
    existing = blobs.get(name)
    if existing is not None:
        if headers.get("if-none-match", "").strip() == "*":
            raise BlobError(409, "BlobAlreadyExists", "The specified blob already exists.")
        _check_retention(container_doc, existing)
    now = time.time()
    entry = {"data": base64.b64encode(raw_body).decode("ascii"), "etag": f'"0x{uuid.uuid4().hex[:15].upper()}"',
             "created": existing["created"] if existing else now, "modified": now,
             "content_type": headers.get("x-ms-blob-content-type") or headers.get("content-type") or "application/octet-stream",
             "md5": base64.b64encode(hashlib.md5(raw_body).digest()).decode("ascii")}   # nosec - Content-MD5, not security
    blobs[name] = entry
    app.state.save()
    out = {k: v for k, v in _props_headers(entry).items() if k in ("ETag", "Last-Modified", "Content-MD5")}
    out["x-ms-request-server-encrypted"] = "true"
    return 201, b"", out


def _props_headers(entry: dict) -> dict:
    return {"ETag": entry["etag"], "Last-Modified": formatdate(entry["modified"], usegmt=True),
            "Content-MD5": entry["md5"], "Content-Type": entry["content_type"],
            "x-ms-creation-time": formatdate(entry["created"], usegmt=True)}


def _list(account: dict, container: str, blobs: dict, prefix: str) -> bytes:
    items = []
    for name in sorted(n for n in blobs if n.startswith(prefix)):
        entry = blobs[name]
        items.append(f"<Blob><Name>{escape(name)}</Name><Properties><Creation-Time>{formatdate(entry['created'], usegmt=True)}"
                     f"</Creation-Time><Last-Modified>{formatdate(entry['modified'], usegmt=True)}</Last-Modified>"
                     f"<Etag>{escape(entry['etag'])}</Etag><Content-Length>{len(base64.b64decode(entry['data']))}"
                     f"</Content-Length><Content-Type>{escape(entry['content_type'])}</Content-Type>"
                     "<BlobType>BlockBlob</BlobType></Properties></Blob>")
    endpoint = f"https://{account['name']}.{BLOB_DNS_SUFFIX}/"
    return (f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="{escape(endpoint)}" '
            f'ContainerName="{escape(container)}"><Prefix>{escape(prefix)}</Prefix><Blobs>{"".join(items)}</Blobs>'
            "<NextMarker /></EnumerationResults>").encode()


def handled_body(body: Any) -> bool:
    """Whether server.Handler writes this body as it is (bytes: the Blob service's payloads)."""
    return isinstance(body, (bytes, bytearray))
