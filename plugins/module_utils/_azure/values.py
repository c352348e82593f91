# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input values shared by the Azure modules: tags, names, the input error. PRIVATE to the collection.

Pure Python: resources are handled as ARM REST JSON (what the SDK models' as_dict() gives:
camelCase keys, `properties` nested), never as SDK objects.
"""

from __future__ import annotations

import re

# Tag limits from Azure's documentation (resource tags).
# Smaller limits of some types, read by their modules and by the deployment plan (which checks the inventory's tags):
# API Management refuses a 16th tag (400 InvalidParameters "Tags count out of bound. Maximum count value is 15.", quoted
# in hashicorp/terraform#31416; MicrosoftDocs/azure-docs#93117); a storage account's tag names have at most 128
# characters (Microsoft Learn, tag-resources, Limitations); a private DNS zone refuses a 16th tag (400 BadRequest "The
# resource tags are invalid. A maximum of 15 tags are allowed with keys no longer than 512 and values no longer than 256
# characters.", quoted in Azure/bicep-registry-modules#1541; Azure support, quoted in Azure/azure-rest-api-specs#13600:
# the limit "exists for private and public zones by design"; MicrosoftDocs/azure-docs#126105 adds Azure Private DNS to
# tag-resources' list of 15).
API_MANAGEMENT_MAX_TAGS = 15
PRIVATE_DNS_ZONE_MAX_TAGS = 15
STORAGE_ACCOUNT_MAX_TAG_KEY = 128
# Azure refuses a tag name holding one of these or a control character ("The tag names '<name>' have reserved
# characters '<,>,%,&,\,?,/' or control characters.", docs/emulator.md).
_TAG_KEY_FORBIDDEN = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")
# Key Vault secrets and keys (data plane): "Key Vault supports up to 15 tags" (Microsoft Learn, key-vault/secrets/
# about-secrets and keys/about-keys, where a key's tag names have at most 256 characters); a 16th answers 400 BadParameter
# "Property has invalid value" (quoted in aztfmod/terraform-azurerm-caf#821; hashicorp/terraform-provider-azurerm#16947).
KEY_VAULT_OBJECT_MAX_TAGS = 15
KEY_VAULT_KEY_MAX_TAG_KEY = 256
# A private DNS zone keeps no tag whose name has a colon or a space: Azure answers the write and drops the tag (a colon:
# Azure/azure-rest-api-specs#11748, hashicorp/terraform-provider-azurerm#6129; a space: Azure/Azure-Landing-Zones#2315),
# so the tag would be "changed" on every run. Learn's tag-resources adds, for Azure DNS zones, no parentheses and no
# name starting with a digit; those are refused too (stricter: whether a private zone drops them is unverified).
_DNS_ZONE_TAG_KEY_BAD = re.compile(r"[\s:()]|^[0-9]")


class AzureInputError(ValueError):
    """User input that Azure would reject, found before any call."""


def validate_tags(tags: dict | None, max_count: int = 50, max_key: int = 512, what: str = "resource") -> dict | None:
    """Tags as Azure stores them (strings), or a clear error naming the bad key or value. A type with smaller limits
    than Azure's 50 tags of 512-character names passes its own (`what` names it in the message)."""
    if tags is None:
        return None
    check_tag_count(tags, max_count, what)
    result = {}
    for key, value in tags.items():
        key = str(key)
        if not key or len(key) > max_key or _TAG_KEY_FORBIDDEN.search(key):
            raise AzureInputError(f"tags: key {key!r} is invalid; a tag key of a {what} has 1-{max_key} characters and none of "
                                  "< > % & \\ ? / or control characters")
        if value is None:
            value = ""
        if isinstance(value, bool):
            value = str(value).lower()
        value = str(value)
        if len(value) > 256:
            raise AzureInputError(f"tags: the value of {key!r} has {len(value)} characters; Azure allows at most 256")
        result[key] = value
    return result


def check_tag_count(tags: dict, max_count: int = 50, what: str = "resource") -> None:
    """Also for the tags a resource would end with (purge_tags=false adds the existing ones)."""
    if len(tags) > max_count:
        raise AzureInputError(f"tags: a {what} would have {len(tags)} tags; Azure allows at most {max_count} per {what}")


def bad_dns_zone_tag_names(tags: dict | None) -> list:
    return sorted(key for key in (tags or {}) if _DNS_ZONE_TAG_KEY_BAD.search(str(key)))


def check_dns_zone_tag_names(tags: dict | None, what: str = "private DNS zone") -> None:
    bad = bad_dns_zone_tag_names(tags)
    if bad:
        raise AzureInputError(f"tags: {', '.join(map(repr, bad))} cannot be tag names of a {what}: Azure drops a name with a "
                              "space or a colon (and refuses parentheses or a leading digit in DNS zones' tags); use letters, "
                              "digits, hyphens, underscores or periods")


def merge_tags(existing: dict | None, wanted: dict | None, purge: bool) -> dict:
    """The tags a resource should end with.

    `wanted` None leaves the tags alone; with `purge` the result is exactly `wanted`, without it
    `wanted` is merged over the existing tags.
    """
    existing = dict(existing or {})
    if wanted is None:
        return existing
    if purge:
        return dict(wanted)
    existing.update(wanted)
    return existing


# Azure resource name rules (Microsoft.Network/Resources naming rules).
_NAME_RULES = {
    "resource group": (r"^[-\w._()]{1,90}$", "1-90 characters: letters, digits, underscores, hyphens, periods and parentheses, not ending in a period"),
    "network": (r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$",
                "1-80 characters: letters, digits, underscores, periods and hyphens, "
                "starting with a letter or digit and ending with a letter, digit or underscore"),
    # resource-name-rules (Microsoft.Network): virtualNetworks and privateEndpoints "2-64", the same characters
    "network 2-64": (r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}[A-Za-z0-9_]$",
                     "2-64 characters: letters, digits, underscores, periods and hyphens, "
                     "starting with a letter or digit and ending with a letter, digit or underscore"),
}


# A resource reached at a DNS name of its own (a vault, a storage account, a registry, a server, a cache, a namespace,
# an API gateway) may not be named with a reserved word or trademark; Azure checks at the create, even with the endpoint
# off, and answers ReservedResourceName "The resource name <name> or a part of the name is a trademarked or reserved
# word." (Learn, azure-resource-manager/troubleshooting/error-reserved-resource-name). The words below are that page's;
# its three kinds are what Resources' CheckResourceName says: "not a reserved word, does not contain a reserved word
# and does not start with a reserved word" (azure-mgmt-resource, CheckResourceNameResult).
RESERVED_NAMES = frozenset((
    "ACCESS", "APP_CODE", "APP_THEMES", "APP_DATA", "APP_GLOBALRESOURCES", "APP_LOCALRESOURCES", "APP_WEBREFERENCES",
    "APP_BROWSERS", "AZURE", "BING", "BIZSPARK", "BIZTALK", "CORTANA", "DIRECTX", "DOTNET", "DYNAMICS", "EXCEL",
    "EXCHANGE", "FOREFRONT", "GROOVE", "HOLOLENS", "HYPERV", "KINECT", "LYNC", "MSDN", "O365", "OFFICE", "OFFICE365",
    "ONEDRIVE", "ONENOTE", "OUTLOOK", "POWERPOINT", "SHAREPOINT", "SKYPE", "VISIO", "VISUALSTUDIO", "WEB.CONFIG", "XBOX"))
RESERVED_ANYWHERE = ("MICROSOFT", "WINDOWS")
RESERVED_AT_START = ("LOGIN",)


def reserved_name_problem(name: str) -> str | None:
    """Why Azure would refuse `name` for a resource with a DNS name of its own as reserved (None: it would not)."""
    upper = (name or "").upper()
    if upper in RESERVED_NAMES:
        return f"{upper} is a word Azure reserves"
    for word in RESERVED_ANYWHERE:
        if word in upper:
            return f"it contains {word}, which Azure reserves anywhere in a name"
    for word in RESERVED_AT_START:
        if upper.startswith(word):
            return f"it starts with {word}, which Azure reserves at the start of a name"
    return None


def check_reserved_name(name: str, what: str = "name") -> None:
    """Refuse, before any call, a name Azure would refuse with ReservedResourceName."""
    problem = reserved_name_problem(name)
    if problem:
        raise AzureInputError(f"{what}: {name!r} cannot be used: {problem} in the names of resources reached at their own "
                              "DNS name (ReservedResourceName); choose another name")


def same_location(a: str | None, b: str | None) -> bool:
    """Azure spells a location "westeurope" or "West Europe": compare without case and spaces."""
    return (a or "").replace(" ", "").lower() == (b or "").replace(" ", "").lower()


def validate_name(value: str, what: str, rule: str = "network") -> str:
    pattern, text = _NAME_RULES[rule]
    if not isinstance(value, str) or not re.match(pattern, value) or (rule == "resource group" and value.endswith(".")):
        raise AzureInputError(f"{what}: {value!r} is not a valid name; Azure allows {text}")
    return value


def pick(view: dict, keys) -> dict:
    """The part of a view the user set (keys present in `keys`)."""
    return {k: view.get(k) for k in keys if k in view}
