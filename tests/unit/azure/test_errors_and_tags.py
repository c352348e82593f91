"""Azure exceptions become one message with operation, code, message and request id; tag semantics."""
from __future__ import annotations

import json

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError, merge_tags, validate_tags
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import parse_cidr
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.errors import describe_azure_error


class FakeResponse:
    """The part of azure-core's HttpResponse that HttpResponseError reads."""

    def __init__(self, status, body, headers=None):
        self.status_code, self.reason, self._body = status, "Bad Request", body
        self.headers = headers or {}
        self.content_type = "application/json"

    def text(self, encoding=None):
        return json.dumps(self._body)

    def body(self):
        return self.text().encode()


def test_arm_error_gives_operation_code_message_and_request_id():
    text = "Subnet 'a' is not valid because its IP address range is outside the IP address range of virtual network 'v'."
    response = FakeResponse(400, {"error": {"code": "NetcfgSubnetRangeOutsideVnet", "message": text}}, {"x-ms-request-id": "req-42"})
    out = describe_azure_error(HttpResponseError(response=response), "create virtual network v")
    assert out["msg"] == ("create virtual network v failed (HTTP 400): NetcfgSubnetRangeOutsideVnet: Subnet 'a' is not valid because "
                          "its IP address range is outside the IP address range of virtual network 'v'. [x-ms-request-id: req-42]")
    assert out["azure_error"]["code"] == "NetcfgSubnetRangeOutsideVnet"
    assert out["azure_error"]["request_id"] == "req-42"


def test_authentication_error_names_where_the_credentials_came_from():
    out = describe_azure_error(ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."), "get resource group rg",
                               "AWX environment variables")
    assert out["msg"].startswith("get resource group rg failed: Azure authentication failed with credentials from AWX environment variables")
    assert "AADSTS7000215" in out["msg"]


def test_connection_error():
    out = describe_azure_error(ServiceRequestError("certificate verify failed"), "get virtual network v")
    assert out["msg"] == "get virtual network v failed: could not reach Azure: certificate verify failed"


def test_tags_are_strings_and_bad_keys_are_named():
    assert validate_tags({"Instance": 1, "Ephemeral": True, "Empty": None}) == {"Instance": "1", "Ephemeral": "true", "Empty": ""}
    with pytest.raises(AzureInputError, match="key 'a/b' is invalid"):
        validate_tags({"a/b": "x"})
    with pytest.raises(AzureInputError, match="or control characters"):   # Azure's message names them too
        validate_tags({"cost\ncenter": "x"})
    with pytest.raises(AzureInputError, match="at most 256"):
        validate_tags({"k": "x" * 257})


@pytest.mark.parametrize("wanted, purge, result", [
    (None, True, {"a": "1", "b": "2"}),
    ({"a": "9"}, True, {"a": "9"}),
    ({"a": "9", "c": "3"}, False, {"a": "9", "b": "2", "c": "3"}),
    ({}, True, {}),
])
def test_merge_tags(wanted, purge, result):
    assert merge_tags({"a": "1", "b": "2"}, wanted, purge) == result


@pytest.mark.parametrize("value, message", [
    ("10.10.1.5/24", "has host bits set; the network is 10.10.1.0/24"),
    ("10.10.1.0", "has no prefix length"),
    ("10.300.0.0/16", "is not a CIDR block"),
])
def test_cidr_errors_name_the_value(value, message):
    with pytest.raises(AzureInputError, match=message):
        parse_cidr(value, "address_prefixes", within=None, error=AzureInputError, version=None)
