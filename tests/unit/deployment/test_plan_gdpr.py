"""The plan's GDPR fact: the Key Vault secret of the erasure records' signing key (playbooks/gdpr_erase.yml)."""
from __future__ import annotations

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.cidr import load_registry
from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.plan import build_plan, plan_summary

REGISTRY = load_registry()


def test_every_deployment_names_the_signing_key_secret_and_the_summary_says_so():
    for name in ("global-dev", "westeu-dev-1", "westeu-prod-1"):
        plan = build_plan(name, registry=REGISTRY)
        assert plan["secrets"]["gdpr_signing_key"] == "gdpr-signing-key"
        assert any(line.startswith("gdpr ") and "Key Vault secret gdpr-signing-key" in line for line in plan_summary(plan))
