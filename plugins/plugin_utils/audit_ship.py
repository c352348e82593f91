# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload of an audit trail file as one block blob. PRIVATE to the collection. NOT TESTED AGAINST AZURE.

azure-storage-blob is not a requirement of the collection (requirements.txt), so this speaks the Blob service
REST API itself, with the credentials the Azure modules use (plugins/module_utils/_azure/auth.py, the AZURE_*
environment AWX injects; azure-identity, already a requirement, gets the token):

- Put Blob (Microsoft Learn, "Put Blob", https://learn.microsoft.com/rest/api/storageservices/put-blob):
  PUT https://<account>.blob.<suffix>/<container>/<blob> with x-ms-blob-type: BlockBlob, x-ms-version, x-ms-date,
  Content-Length; 201 Created on success.
- If-None-Match: * makes the PUT create only, never overwrite (Learn, "Specifying conditional headers for Blob
  service operations"): a run's blob is written once.
- Microsoft Entra ID tokens for Blob storage have the scope https://storage.azure.com/.default (Learn, "Authorize
  access to blobs using Microsoft Entra ID"); the identity needs a data role such as Storage Blob Data Contributor.
- 404 (the account's DNS name resolves but the container does not exist: ContainerNotFound) is "missing": the
  callback keeps the trail locally. A name that does not resolve is also "missing".

The emulator of this repository has no Blob data plane: none of this runs in the tests (docs/audit-trail.md).
"""

from __future__ import annotations

import email.utils
import os
import socket
import urllib.error

from ansible.module_utils.urls import open_url

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import auth
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import build_credential

BLOB_API_VERSION = "2023-11-03"
STORAGE_SCOPE = "https://storage.azure.com/.default"


def put_block_blob(url: str, data: bytes, env=None) -> str:
    """PUT data as a new block blob at url: "created", "exists" (written before: immutable) or "missing"."""
    env = os.environ if env is None else env
    plan = auth.resolve_auth({}, env)
    cloud = auth.known_cloud(auth.cloud_setting({}, env))
    if cloud is None:
        raise auth.AzureConfigError("shipping the audit trail supports the named clouds only (AZURE_CLOUD_ENVIRONMENT)")
    token = build_credential(plan, cloud, {}).get_token(STORAGE_SCOPE).token
    headers = {"Authorization": f"Bearer {token}", "x-ms-version": BLOB_API_VERSION, "x-ms-blob-type": "BlockBlob",
               "x-ms-date": email.utils.formatdate(usegmt=True), "Content-Type": "application/x-ndjson",
               "Content-Length": str(len(data)), "If-None-Match": "*"}
    try:
        response = open_url(url, data=data, headers=headers, method="PUT", timeout=60, follow_redirects="none")
        status = response.getcode()
        return "created" if status in (200, 201) else f"HTTP {status}"
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return "missing"
        if err.code in (409, 412):   # which of the two Azure answers to If-None-Match: * on an existing blob: unverified
            return "exists"
        raise RuntimeError(f"HTTP {err.code} {err.headers.get('x-ms-error-code', '')}".strip()) from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, socket.gaierror):
            return "missing"
        raise
