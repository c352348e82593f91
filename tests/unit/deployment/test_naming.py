"""Deployment names and resource names over the whole name space (every region x env x 1..99, global-*)."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.complianceflow.infra.plugins.module_utils._deployment.naming import (
    ENVIRONMENTS,
    GLOBALLY_UNIQUE,
    REGIONS,
    DeploymentError,
    all_deployment_names,
    check_name,
    key_vault_suffix,
    parse_deployment_name,
    resource_names,
)

ALL = list(all_deployment_names())
ALL_NAMES = {name: resource_names(name) for name in ALL}
names_strategy = st.one_of(
    st.builds(lambda r, e, i: f"{r}-{e}-{i}", st.sampled_from(sorted(REGIONS)), st.sampled_from(ENVIRONMENTS), st.integers(1, 99)),
    st.builds(lambda e: f"global-{e}", st.sampled_from(ENVIRONMENTS)),
)


def flat(names):
    for key, value in names.items():
        if isinstance(value, dict):
            for sub, item in value.items():
                yield f"{key}.{sub}", key, item
        else:
            yield key, key, value


def test_name_space_size():
    assert len(ALL) == len(set(ALL)) == 6 * 3 * 99 + 3


def test_seed_examples_for_westeu_prod_1():
    n = resource_names("westeu-prod-1")
    assert n["resource_group"] == "rg-cf-westeu-prod-1"
    assert n["virtual_network"] == "vnet-cf-westeu-prod-1"
    assert n["subnets"]["database"] == "snet-cf-westeu-prod-1-db"
    assert n["postgresql_server"] == "psql-cf-westeu-prod-1"
    assert n["redis_cache"] == "redis-cf-westeu-prod-1"
    assert re.fullmatch(r"kv-cf-westeu-prod-1-[a-z0-9]{4}", n["key_vault"])
    assert n["storage_account"] == "stcfwesteuprod1"
    assert n["container_registry"] == "acrcfwesteuprod1"
    assert n["log_analytics_workspace"] == "log-cf-westeu-prod-1"
    assert n["application_insights"] == "appi-cf-westeu-prod-1"


@pytest.mark.parametrize("name", ALL[:3] + ["westeu-dev-1", "northeu-prod-1", "australiaeast-stg-99"])
def test_every_name_key_of_the_contract_is_present(name):
    n = resource_names(name)
    for key in ("resource_group", "virtual_network", "subnets", "network_security_groups", "postgresql_server", "redis_cache",
                "key_vault", "storage_account", "container_registry", "log_analytics_workspace", "application_insights",
                "event_hubs_namespace", "container_apps_environment", "api_management", "private_endpoints",
                "private_dns_zone_links", "budget"):
        assert key in n
    assert ("api_management" in n["subnets"]) == name.split("-")[1].startswith("prod")
    assert set(n["subnets"]) == set(n["network_security_groups"])


def test_every_name_of_every_deployment_is_valid_for_azure():
    problems = [f"{d}: {problem}" for d, names in ALL_NAMES.items()
                for _path, key, value in flat(names) if (problem := check_name(key, value))]
    assert problems == []


def test_key_vault_rules_spelled_out_for_every_deployment():
    for d, names in ALL_NAMES.items():
        kv = names["key_vault"]
        assert 3 <= len(kv) <= 24 and kv[0].isalpha() and kv[-1].isalnum() and "--" not in kv, (d, kv)
        assert re.fullmatch(r"[a-z0-9-]+", kv), (d, kv)
        st_name = names["storage_account"]
        assert 3 <= len(st_name) <= 24 and re.fullmatch(r"[a-z0-9]+", st_name), (d, st_name)
        assert 5 <= len(names["container_registry"]) <= 50 and names["container_registry"].isalnum()


@pytest.mark.parametrize("key", GLOBALLY_UNIQUE)
def test_globally_unique_names_differ_between_deployments(key):
    values = [names[key] for names in ALL_NAMES.values()]
    assert len(set(values)) == len(values)


def test_key_vault_compaction_only_when_the_seed_pattern_is_too_long():
    assert resource_names("northeu-prod-1")["key_vault"].startswith("kv-cf-neu-prod-1-")
    assert len("kv-cf-northeu-prod-1-abcd") == 25  # the seed's pattern, one too long
    assert resource_names("westeu-prod-1")["key_vault"].startswith("kv-cf-westeu-prod-1-")
    assert resource_names("australiaeast-prod-99")["key_vault"].startswith("kv-cf-aue-prod-99-")
    assert resource_names("global-prod")["key_vault"].startswith("kv-cf-global-prod-")


def test_key_vault_suffix_is_deterministic_and_follows_seed_and_override():
    assert resource_names("westeu-dev-1") == resource_names("westeu-dev-1")
    assert key_vault_suffix("westeu-dev-1") != key_vault_suffix("westeu-dev-1", "another-seed")
    assert resource_names("westeu-dev-1", naming_seed="another-seed")["key_vault"].endswith(key_vault_suffix("westeu-dev-1", "another-seed"))
    assert resource_names("westeu-dev-1", suffix="ab12")["key_vault"] == "kv-cf-westeu-dev-1-ab12"


@pytest.mark.parametrize("suffix", ["AB12", "ab1", "ab123", "ab-1", 1234, ""])
def test_bad_key_vault_suffix_is_refused(suffix):
    with pytest.raises(DeploymentError, match="key_vault_suffix"):
        resource_names("westeu-dev-1", suffix=suffix)


@given(names_strategy, st.text(min_size=1, max_size=64))
@settings(max_examples=300, deadline=None)
def test_any_naming_seed_gives_valid_distinct_key_vault_names(name, seed):
    kv = resource_names(name, naming_seed=seed)["key_vault"]
    assert check_name("key_vault", kv) is None
    assert kv.endswith("-" + key_vault_suffix(name, seed))


@given(names_strategy)
def test_parse_round_trips_valid_names(name):
    dep = parse_deployment_name(name)
    rebuilt = f"global-{dep.environment}" if dep.is_global else f"{dep.region_code}-{dep.environment}-{dep.instance}"
    assert rebuilt == name
    assert (dep.scope == "global") == name.startswith("global-")


@given(st.text(max_size=30))
@settings(max_examples=500)
def test_parse_accepts_exactly_the_grammar_and_raises_only_deployment_error(text):
    valid = text in set(ALL)
    try:
        parse_deployment_name(text)
    except DeploymentError as exc:
        assert not valid
        assert "valid form" in str(exc)
    else:
        assert valid


@pytest.mark.parametrize("bad, expected", [
    ("WestEU-prod-1", "did you mean 'westeu-prod-1'"),
    ("westeu-test-1", "did you mean 'westeu-dev-1'"),
    ("westeu-prod-0", "out of range 1..99"),
    ("westeu-prod-100", "out of range 1..99"),
    ("westeu-prod-01", "without leading zeros"),
    ("mars-prod-1", "region 'mars' is not one of"),
    ("global-prod-1", "did you mean 'global-prod'"),
    ("global-test", "did you mean 'global-dev'"),
    ("westeu-prod", "needs an instance number"),
    ("", "empty"),
    ("westeu--prod-1", "empty part"),
    (" westeu-prod-1", "whitespace"),
    (None, "expected a string"),
])
def test_bad_names_name_the_value_and_the_valid_form(bad, expected):
    with pytest.raises(DeploymentError) as info:
        parse_deployment_name(bad)
    message = str(info.value)
    assert repr(bad) in message
    assert expected in message
    assert "{region}-{env}-{instance}" in message
