"""ReservedResourceName in the emulator: a resource reached at its own DNS name named with a word Azure reserves."""
from __future__ import annotations

import pytest
from arm_emulator.providers import base
from azure.core.exceptions import HttpResponseError
from azure.mgmt.keyvault import KeyVaultManagementClient

from ansible_collections.complianceflow.infra.plugins.module_utils._azure import values


def test_two_transcriptions_of_learns_list_agree():
    """The collection's list (module_utils/_azure/values.py) and the emulator's, each written from the Learn page."""
    assert base.RESERVED_WORDS == {word.lower() for word in values.RESERVED_NAMES}
    assert base.RESERVED_SUBSTRINGS == tuple(w.lower() for w in values.RESERVED_ANYWHERE)
    assert base.RESERVED_PREFIXES == tuple(w.lower() for w in values.RESERVED_AT_START)


@pytest.mark.parametrize("name", ["kv-microsoft-t1", "loginvault01", "azure"])
def test_a_vault_named_with_a_reserved_word_is_refused(emu, credential, group, name):
    vaults = KeyVaultManagementClient(credential, emu.subscription_id, **emu.client_kwargs()).vaults
    body = {"location": "westeurope", "properties": {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"},
                                                     "enableRbacAuthorization": True}}
    with pytest.raises(HttpResponseError) as refused:
        vaults.begin_create_or_update(group, name, body).result()
    assert refused.value.error.code == "ReservedResourceName"
    assert f"The resource name {name} or a part of the name is a trademarked or reserved word." in refused.value.message
