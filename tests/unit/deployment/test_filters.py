"""The filters are thin: same result as the model, DeploymentError turned into AnsibleFilterError."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.complianceflow.infra.plugins.filter.deployment import FilterModule as DeploymentFilters
from ansible_collections.complianceflow.infra.plugins.filter.plan_summary import FilterModule as SummaryFilters
from ansible_collections.complianceflow.infra.plugins.filter.resource_names import FilterModule as NameFilters
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan

deployment = DeploymentFilters().filters()["deployment"]
resource_names = NameFilters().filters()["resource_names"]
plan_summary = SummaryFilters().filters()["plan_summary"]


def test_filters_return_the_model_dicts():
    assert deployment("westeu-prod-1") == build_plan("westeu-prod-1")
    assert resource_names("westeu-prod-7", key_vault_suffix="ab12")["key_vault"] == "kv-cf-westeu-prod-7-ab12"
    assert plan_summary(deployment("global-dev"))[0].startswith("global-dev: global dev")


@pytest.mark.parametrize("call, message", [
    (lambda: resource_names("westeu-test-1"), "did you mean 'westeu-dev-1'"),
    (lambda: deployment("westeu-prod-3"), "has no CIDR in the registry"),
    (lambda: deployment("westeu-dev-1", overrides={"vnet_cidr": "10.30.0.0/16"}), "overlaps westeu-prod-1"),
    (lambda: deployment("westeu-dev-1", registry="/nonexistent/registry.yml"), "cannot read the CIDR registry"),
    (lambda: plan_summary({"name": "x"}), "not a complete deployment plan"),
])
def test_errors_become_ansible_filter_errors(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()
