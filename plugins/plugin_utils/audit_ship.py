# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload of an audit trail file as one block blob. PRIVATE to the collection.

azure-storage-blob is not a requirement of the collection (requirements.txt), so this speaks the Blob service
REST API itself, with the credentials the Azure modules use (plugins/module_utils/_azure/auth.py, the AZURE_*
environment AWX injects; azure-identity, already a requirement, gets the token):

- The endpoint is https://<account>.blob.<storage suffix>: the suffix of a named cloud (audit.STORAGE_SUFFIXES), or,
  for a cloud given as the https:// URL of its ARM endpoint (Azure Stack, the repository's emulator), the
  `suffixes.storage` of its metadata (GET <arm>/metadata/endpoints, the document the modules read for such a cloud).
- Put Blob (Microsoft Learn, "Put Blob", https://learn.microsoft.com/rest/api/storageservices/put-blob):
  PUT https://<account>.blob.<suffix>/<container>/<blob> with x-ms-blob-type: BlockBlob, x-ms-version, x-ms-date,
  Content-Length; 201 Created on success.
- If-None-Match: * makes the PUT create only, never overwrite (Learn, "Specifying conditional headers for Blob
  service operations"); an existing blob answers 409 BlobAlreadyExists (Blob service error codes): "exists".
- Microsoft Entra ID tokens for Blob storage have the scope https://storage.azure.com/.default (Learn, "Authorize
  access to blobs using Microsoft Entra ID"); the identity needs a data role such as Storage Blob Data Contributor
  (without it: 403 AuthorizationPermissionMismatch, an error).
- "missing" (the callback keeps the trail locally): 404 ContainerNotFound (or any 404: the account is gone), an
  account name that does not resolve, or a proxy that cannot open a tunnel to it (502/503/504: the proxy's way of
  saying the name does not resolve).

The repository's emulator serves this part of the Blob service (tools/arm_emulator/blob_dataplane.py); the tests
ship to it (tests/integration/audit/). Against Azure itself it has not run (docs/audit-trail.md).
"""

from __future__ import annotations

import email.utils
import json
import os
import socket
import urllib.error

from ansible.module_utils.urls import open_url

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import auth
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import build_credential
from ansible_collections.complianceflow.infra.plugins.plugin_utils import audit

BLOB_API_VERSION = "2024-08-04"   # a service version with a published spec (docs/emulator.md)
STORAGE_SCOPE = "https://storage.azure.com/.default"
UNRESOLVED_PROXY_ANSWERS = ("Tunnel connection failed: 502", "Tunnel connection failed: 503", "Tunnel connection failed: 504")


def _ca_path(env, params=None):
    return (params or {}).get("ca_bundle") or env.get("REQUESTS_CA_BUNDLE") or env.get("SSL_CERT_FILE") or None


def resolve_cloud(env, suffix_option=None, params=None):
    """(auth.Cloud, storage suffix) of the cloud the modules' options (params: the playbook's azure_auth) or the AZURE_*
    environment name."""
    setting = auth.cloud_setting(params or {}, env)
    cloud = auth.known_cloud(setting)
    if cloud is not None:
        return cloud, suffix_option or audit.STORAGE_SUFFIXES.get(cloud.name)
    response = open_url(auth.metadata_url(setting), method="GET", timeout=30, ca_path=_ca_path(env, params))
    payload = json.loads(response.read())
    cloud = auth.cloud_from_metadata(setting, payload)
    entries = payload if isinstance(payload, list) else [payload]
    entry = next((e for e in entries if isinstance(e, dict) and e.get("name") == cloud.name), entries[0] if entries else {})
    suffix = suffix_option or ((entry or {}).get("suffixes") or {}).get("storage")
    return cloud, suffix


def put_block_blob(url: str, data: bytes, env=None, cloud=None, params=None) -> str:
    """PUT data as a new block blob at url: "created", "exists" (written before: immutable) or "missing".
    params: the modules' auth options (the playbook's azure_auth), else the environment's credentials."""
    env = os.environ if env is None else env
    plan = auth.resolve_auth(params or {}, env)
    if cloud is None:
        cloud = resolve_cloud(env, params=params)[0]
    transport = {"connection_verify": params["ca_bundle"]} if (params or {}).get("ca_bundle") else {}
    token = build_credential(plan, cloud, transport).get_token(STORAGE_SCOPE).token
    headers = {"Authorization": f"Bearer {token}", "x-ms-version": BLOB_API_VERSION, "x-ms-blob-type": "BlockBlob",
               "x-ms-date": email.utils.formatdate(usegmt=True), "Content-Type": "application/x-ndjson",
               "Content-Length": str(len(data)), "If-None-Match": "*"}
    try:
        response = open_url(url, data=data, headers=headers, method="PUT", timeout=60, follow_redirects="none",
                            ca_path=_ca_path(env, params))
        status = response.getcode()
        return "created" if status in (200, 201) else f"HTTP {status}"
    except urllib.error.HTTPError as err:
        code = err.headers.get("x-ms-error-code", "") if err.headers else ""
        if err.code == 404:
            return "missing"
        if err.code == 409 and code == "BlobAlreadyExists":
            return "exists"
        raise RuntimeError(f"HTTP {err.code} {code}".strip()) from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, socket.gaierror) or any(a in str(err.reason) for a in UNRESOLVED_PROXY_ANSWERS):
            return "missing"
        raise
