"""The emulator's Blob service data plane (tools/arm_emulator/blob_dataplane.py), reached as a client reaches Azure's:
https://<account>.blob.<storage suffix of the cloud metadata>, through the emulator's CONNECT proxy, with an Entra
token for https://storage.azure.com/. The rules each test checks are rows of docs/emulator.md ("Blob service data
plane")."""
from __future__ import annotations

import uuid

import requests

API = "2026-09-01"
VERSION = "2023-11-03"
ACCOUNT = {"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
           "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False, "allowSharedKeyAccess": False,
                          "publicNetworkAccess": "Enabled"}}


def _put(resources, rid, body):
    return resources.resources.begin_create_or_update_by_id(rid, api_version=API, parameters=body).result()


def _account(emu, resources, group, public="Enabled", days=None):
    name = f"stblob{uuid.uuid4().hex[:10]}"
    rid = f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{name}"
    body = dict(ACCOUNT, properties=dict(ACCOUNT["properties"], publicNetworkAccess=public))
    created = _put(resources, rid, body)
    _put(resources, rid + "/blobServices/default/containers/audit", {"properties": {}})
    if days:
        _put(resources, rid + "/blobServices/default/containers/audit/immutabilityPolicies/default",
             {"properties": {"immutabilityPeriodSinceCreationInDays": days}})
    return rid, created.properties["primaryEndpoints"]["blob"]


def _call(emu, method, url, token=None, data=None, **headers):
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    if token:
        headers.setdefault("Authorization", f"Bearer {token}")
    headers.setdefault("x-ms-version", VERSION)
    headers = {k: v for k, v in headers.items() if v}
    return requests.request(method, url, data=data, headers=headers, proxies={"https": emu.proxy}, verify=emu.ca, timeout=10)


def test_the_endpoint_is_the_metadata_suffix_and_resolves_only_while_the_account_lives(emu, resources, group):
    metadata = requests.get(f"{emu.url}/metadata/endpoints?api-version=2022-09-01", verify=emu.ca, timeout=10).json()
    suffix = metadata[0]["suffixes"]["storage"]
    _, endpoint = _account(emu, resources, group)
    assert endpoint == f"https://{endpoint.split('//')[1].split('.')[0]}.blob.{suffix}/"
    gone = f"https://stnosuchaccount0.blob.{suffix}/audit/x"
    try:
        _call(emu, "GET", gone)
        raise AssertionError("a missing account's name resolved")
    except requests.exceptions.ProxyError as err:
        assert "502" in str(err)


def test_put_get_list_with_a_data_role_and_the_rules_before_it(emu, resources, group, credential):
    rid, endpoint = _account(emu, resources, group)
    token = credential.get_token("https://storage.azure.com/.default").token
    blob = f"{endpoint}audit/westeu-dev-1/run-1.jsonl"
    put = {"x_ms_blob_type": "BlockBlob", "If_None_Match": "*"}

    assert _call(emu, "PUT", blob, data=b"x", **put).status_code == 401                      # no token
    arm = credential.get_token(emu.url + "/.default").token
    wrong = _call(emu, "PUT", blob, arm, b"x", **put)
    assert wrong.status_code == 401 and wrong.headers["x-ms-error-code"] == "InvalidAuthenticationInfo"
    assert "Audience validation failed" in wrong.text
    shared = _call(emu, "PUT", blob, data=b"x", Authorization="SharedKey acct:c2ln", **put)
    assert shared.status_code == 403 and shared.headers["x-ms-error-code"] == "KeyBasedAuthenticationNotPermitted"
    versionless = _call(emu, "PUT", blob, token, b"x", x_ms_version="", **put)
    assert versionless.status_code == 400, versionless.text
    assert versionless.headers["x-ms-error-code"] == "MissingRequiredHeader"
    # The emulator's default client is the subscription's Owner: no data action, refused like in Azure.
    owner = _call(emu, "PUT", blob, token, b"x", **put)
    assert owner.status_code == 403 and owner.headers["x-ms-error-code"] == "AuthorizationPermissionMismatch"
    assert owner.text.startswith("<?xml") and "<Code>AuthorizationPermissionMismatch</Code>" in owner.text

    emu.grant("Storage Blob Data Contributor", scope=rid + "/blobServices/default/containers/audit")
    missing = _call(emu, "PUT", f"{endpoint}nosuch/x", token, b"x", **put)
    assert missing.status_code == 403   # the role is on the audit container only
    created = _call(emu, "PUT", blob, token, b'{"a": 1}\n', **put)
    assert created.status_code == 201 and created.headers["ETag"]
    again = _call(emu, "PUT", blob, token, b"other", **put)
    assert again.status_code == 409 and again.headers["x-ms-error-code"] == "BlobAlreadyExists"
    read = _call(emu, "GET", blob, token)
    assert read.status_code == 200 and read.content == b'{"a": 1}\n'
    listed = _call(emu, "GET", f"{endpoint}audit?restype=container&comp=list&prefix=westeu-dev-1/", token)
    assert listed.status_code == 200 and "<Name>westeu-dev-1/run-1.jsonl</Name>" in listed.text
    assert _call(emu, "GET", f"{endpoint}audit/none", token).headers["x-ms-error-code"] == "BlobNotFound"


def test_a_retention_policy_keeps_blobs_and_a_private_account_refuses_the_public_network(emu, resources, group, credential):
    token = credential.get_token("https://storage.azure.com/.default").token
    rid, endpoint = _account(emu, resources, group, days=2556)
    emu.grant("Storage Blob Data Owner", scope=rid)
    blob = f"{endpoint}audit/run.jsonl"
    assert _call(emu, "PUT", blob, token, b"1", x_ms_blob_type="BlockBlob").status_code == 201
    overwrite = _call(emu, "PUT", blob, token, b"2", x_ms_blob_type="BlockBlob")
    assert overwrite.status_code == 409 and overwrite.headers["x-ms-error-code"] == "BlobImmutableDueToPolicy"
    delete = _call(emu, "DELETE", blob, token)
    assert delete.status_code == 409 and delete.headers["x-ms-error-code"] == "BlobImmutableDueToPolicy"
    assert _call(emu, "GET", blob, token).content == b"1"

    private, private_endpoint = _account(emu, resources, group, public="Disabled")
    emu.grant("Storage Blob Data Contributor", scope=private)
    refused = _call(emu, "PUT", f"{private_endpoint}audit/run.jsonl", token, b"1", x_ms_blob_type="BlockBlob")
    assert refused.status_code == 403 and refused.headers["x-ms-error-code"] == "AuthorizationFailure"
