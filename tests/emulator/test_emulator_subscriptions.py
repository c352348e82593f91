"""Unknown subscription ids answer 404 SubscriptionNotFound, as ARM does; known ones (the default and
any configured or registered) work."""
from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient
from emulator import Emulator, EmulatorError

WRONG = "11111111-2222-3333-4444-555555555555"
EXTRA = "99999999-0000-0000-0000-000000000001"


def _groups(emu, credential, subscription_id):
    return ResourceManagementClient(credential, subscription_id, **emu.client_kwargs()).resource_groups


def test_get_under_an_unknown_subscription_is_subscription_not_found(emu, credential):
    since = emu.request_count()
    with pytest.raises(ResourceNotFoundError) as caught:
        _groups(emu, credential, WRONG).get("rg-anything")
    assert caught.value.status_code == 404
    assert caught.value.error.code == "SubscriptionNotFound"
    assert caught.value.error.message == f"The subscription '{WRONG}' could not be found."
    logged = emu.requests(since, method="GET")
    assert [e["error_code"] for e in logged if WRONG in e["path"]] == ["SubscriptionNotFound"]


def test_writes_under_an_unknown_subscription_store_nothing(emu, credential):
    with pytest.raises(ResourceNotFoundError) as caught:
        _groups(emu, credential, WRONG).create_or_update("rg-wrong-sub", {"location": "westeurope"})
    assert caught.value.error.code == "SubscriptionNotFound"
    stored = emu.admin("GET", "state")["resources"]
    assert not [rid for rid in stored if WRONG in rid]


def test_missing_group_under_the_default_subscription_is_still_resource_group_not_found(emu, credential):
    with pytest.raises(ResourceNotFoundError) as caught:
        _groups(emu, credential, emu.subscription_id).get("rg-does-not-exist")
    assert caught.value.error.code == "ResourceGroupNotFound"


def test_registered_subscriptions_exist_until_reset(emu, credential):
    with pytest.raises(ResourceNotFoundError):
        _groups(emu, credential, EXTRA).get("rg-x")
    emu.admin("POST", "subscriptions", [EXTRA.upper()])
    try:
        assert emu.admin("GET", "config")["subscriptions"] == [emu.subscription_id, EXTRA.upper()]
        groups = _groups(emu, credential, EXTRA)
        groups.create_or_update("rg-extra", {"location": "westeurope"})
        assert groups.get("rg-extra").id == f"/subscriptions/{EXTRA}/resourceGroups/rg-extra"
        # The default subscription does not see the other subscription's group.
        assert not _groups(emu, credential, emu.subscription_id).check_existence("rg-extra")
        groups.begin_delete("rg-extra").result()
    finally:
        emu.admin("POST", "subscriptions", [])
    with pytest.raises(ResourceNotFoundError):
        _groups(emu, credential, EXTRA).get("rg-extra")


def test_bad_subscriptions_setting_is_refused_naming_it(emu):
    with pytest.raises(EmulatorError, match="subscriptions must be a list of subscription id strings"):
        emu.admin("POST", "subscriptions", {"id": EXTRA})


def test_subscriptions_from_the_config_file_exist(tmp_path):
    with Emulator(tmp_path / "arm", config={"subscriptions": [EXTRA]}) as other:
        groups = _groups(other, other.credential(), EXTRA)
        assert groups.create_or_update("rg-conf", {"location": "westeurope"}).name == "rg-conf"
        with pytest.raises(ResourceNotFoundError) as caught:
            _groups(other, other.credential(), WRONG).get("rg-conf")
        assert caught.value.error.code == "SubscriptionNotFound"
