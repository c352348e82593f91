# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault data-plane client (azure-keyvault-secrets) for the Azure modules. PRIVATE to the collection.

The SDK's challenge policy asks the vault how to authenticate (401 + WWW-Authenticate) and checks
that the vault's host ends with the challenge's resource domain; nothing here relaxes that check.

Nothing here is emulator-specific: the repository's local emulator serves vaults as
https://<name>.vault.localhost:<port>/ and is reached through its CONNECT proxy (HTTPS_PROXY,
honoured by azure-core's requests transport), see docs/azure-servers.md.
"""

from __future__ import annotations

import traceback
from urllib.parse import urlparse

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.complianceflow.infra.plugins.module_utils._azure.values import AzureInputError

try:
    from azure.keyvault.secrets import SecretClient
    HAS_KV_SECRETS, KV_SECRETS_IMPORT_ERROR = True, None
except ImportError:
    SecretClient = None  # pylint: disable=invalid-name
    HAS_KV_SECRETS, KV_SECRETS_IMPORT_ERROR = False, traceback.format_exc()


def validate_vault_uri(vault_uri: str) -> str:
    parsed = urlparse(vault_uri or "")
    if parsed.scheme != "https" or not parsed.hostname or parsed.path not in ("", "/"):
        raise AzureInputError(f"vault_uri: {vault_uri!r} is not a vault URI such as https://kv-cf-westeu-dev-1.vault.azure.net/ "
                              "(the key_vault module returns it as key_vault.vault_uri)")
    return vault_uri.rstrip("/") + "/"


def secret_client(module, vault_uri: str):
    """A SecretClient for vault_uri with the module's credential, CA settings and retry policy."""
    if not HAS_KV_SECRETS:
        module.fail_json(msg=missing_required_lib("azure-keyvault-secrets (pip install azure-keyvault-secrets)"),
                         exception=KV_SECRETS_IMPORT_ERROR)
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.complianceflow.infra.plugins.module_utils._azure.module import RETRY_SETTINGS, USER_AGENT
    transport = module._transport_kwargs()  # pylint: disable=protected-access  # the base's CA/timeout settings
    return SecretClient(vault_uri, module.credential, user_agent=USER_AGENT, **RETRY_SETTINGS, **transport)
