# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auth, cloud and wait options shared by every Azure module of the collection."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  auth_source:
    description:
      - Where the credentials come from.
      - V(auto) tries, in order, the module options (O(client_id)/O(secret)/O(tenant) or O(ad_user)/O(password));
        the variables AWX injects (E(AZURE_CLIENT_ID), E(AZURE_SECRET), E(AZURE_TENANT) or E(AZURE_AD_USER), E(AZURE_PASSWORD));
        azure-identity's own variables (E(AZURE_CLIENT_ID), E(AZURE_TENANT_ID) with E(AZURE_CLIENT_SECRET),
        E(AZURE_CLIENT_CERTIFICATE_PATH) or E(AZURE_USERNAME)/E(AZURE_PASSWORD));
        a managed identity that the host advertises (E(IDENTITY_ENDPOINT) or E(MSI_ENDPOINT));
        the Azure CLI login when C(az) is on E(PATH).
      - V(auto) never probes the VM metadata service; on an Azure VM with a managed identity use V(msi).
      - V(module), V(env), V(identity_env), V(msi) and V(cli) use only that source and fail clearly when it is incomplete.
    type: str
    default: auto
    choices: [auto, module, env, identity_env, msi, cli]
  subscription_id:
    description:
      - The Azure subscription. Defaults to E(AZURE_SUBSCRIPTION_ID); with O(auth_source=cli), to the CLI's default subscription.
    type: str
  client_id:
    description:
      - Application (client) id of a service principal, or of a user-assigned managed identity with O(auth_source=msi).
    type: str
  secret:
    description:
      - Client secret of the service principal O(client_id).
    type: str
  tenant:
    description:
      - Microsoft Entra tenant id of the service principal or user.
    type: str
  ad_user:
    description:
      - User name for username/password sign-in. azure-identity deprecates this sign-in (its
        C(UsernamePasswordCredential) warns that it cannot do multifactor authentication, which Microsoft Entra ID
        requires of users more and more); use a service principal, a managed identity or the Azure CLI login instead.
    type: str
  password:
    description:
      - Password of O(ad_user).
    type: str
  cloud_environment:
    description:
      - V(AzureCloud), V(AzureUSGovernment), V(AzureChinaCloud), or the https URL of an Azure Resource Manager endpoint
        (Azure Stack Hub, the repository's local emulator). For a URL the module reads
        C(<url>/metadata/endpoints?api-version=2022-09-01) to learn the sign-in authority and token audience.
      - Defaults to E(AZURE_CLOUD_ENVIRONMENT), then V(AzureCloud).
      - With the Azure CLI login (O(auth_source=cli)) the token comes from the cloud C(az) is set to, which
        C(cloud_environment) cannot change; a named cloud that differs from C(az cloud show) fails before any call
        (run C(az cloud set --name <cloud>) and C(az login)).
    type: str
  ca_bundle:
    description:
      - A PEM file of CA certificates to trust for Azure Resource Manager, the sign-in authority and Key Vault's
        data plane (private endpoints, TLS-inspecting proxies, Azure Stack, the emulator). Without it, the bundle of
        E(REQUESTS_CA_BUNDLE) (or E(CURL_CA_BUNDLE)), else certifi's, is used.
      - The bundle is read once per process, not once per connection.
      - A server certificate that does not verify fails the task at once (it is not retried), with a message that
        says which check failed and what to set.
    type: path
  validate_certs:
    description:
      - Set V(false) only in a lab to skip TLS certificate validation.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each long-running Azure operation before failing with a timeout.
      - Throttling (HTTP 429) and server errors (5xx) are retried with exponential backoff that honours Retry-After.
    type: int
    default: 900
requirements:
  - python >= 3.11
  - azure-core >= 1.30
  - azure-identity >= 1.16
notes:
  - All Azure modules of the collection are in the action group C(group/complianceflow.infra.azure), so
    O(subscription_id), O(auth_source), O(cloud_environment) and the other auth options can be set once with C(module_defaults).
  - "The modules run on the controller (C(connection: local) or C(delegate_to: localhost))."
"""

    TAGS = r"""
options:
  tags:
    description:
      - Tags of the resource. Values are stored as strings.
      - When omitted, the existing tags are left alone.
    type: dict
  purge_tags:
    description:
      - With V(true), the resource ends with exactly O(tags); tags not listed are removed.
      - With V(false), O(tags) are merged over the existing tags.
      - Has no effect when O(tags) is omitted.
      - A change of tags alone is sent as a PATCH of the tags, nothing else of the resource is written; for a private
        endpoint, whose API has no PATCH, it is a PUT of the endpoint as the module manages it.
    type: bool
    default: true
"""

    # Every module that manages one resource through the resource engine.
    RESOURCE = r"""
options:
  state:
    description:
      - V(present) creates the resource or brings it to the options given; only the options given are compared.
      - V(absent) deletes it (a long-running operation bounded by O(timeout)); nothing to delete is no change.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details: Reads Azure, predicts the result and writes nothing.
  diff_mode:
    support: full
    details: Shows before and after of the options given (and of what a purge removes); never a secret.
  idempotent:
    support: full
    details: A second run with the same options reports no change and sends no write.
"""

    # Modules that can start a long-running write and return at once.
    WAIT = r"""
options:
  wait:
    description:
      - With V(false), a create or update that Azure runs as a long-running operation is started and the task
        returns at once with RV(operation), which M(complianceflow.infra.operation_wait) awaits later (several
        operations in one task). Nothing else of the task waits on it.
      - With V(true), the task waits for the operation, at most O(timeout) seconds.
    type: bool
    default: true
  after_operations:
    description:
      - Long-running operations that earlier tasks started with O(wait=false) and that must succeed before this task
        reads or writes anything. Each item is an operation, or the whole registered result of the task that started
        it, as M(complianceflow.infra.operation_wait) takes them (a result that started nothing is left out).
      - They are awaited in this task's own process, polled as Azure's C(Retry-After) says, at most O(timeout) seconds.
        Run in the background (C(async) with C(poll=0)), the task can so be started before what it needs has ended,
        and its first write goes out as soon as that has (C(playbooks/deploy.yml) starts the PostgreSQL server this way,
        before its private DNS zone's link has ended).
      - One that ended V(Failed) or V(Canceled) fails this task before it writes anything, naming Azure's error code
        and message. A bad item fails it before any call.
    type: list
    elements: raw
    version_added: 1.2.0
"""
