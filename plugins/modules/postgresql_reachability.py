#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgresql_reachability
short_description: Check that this controller can reach a VNet-only PostgreSQL server before any database step
version_added: 1.1.0
description:
  - A VNet-integrated Azure Database for PostgreSQL flexible server has no public endpoint. Its name resolves to its
    private address only inside the virtual networks linked to its private DNS zone (or through a DNS server there that
    forwards to Azure DNS), and its port opens only to what the NSGs admit
    (U(https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private)). From anywhere else the
    database modules would fail late, with libpq's bare message. This module checks it first and says what to do.
  - Resolves O(host) (C(getaddrinfo), as libpq does), or takes O(hostaddr) instead, as libpq does. A name that does not
    resolve fails naming O(private_dns_zone) and where the controller must run (the management subnet, or a peered or hub
    network linked to the zone). Public addresses only fail too, saying that the controller resolves through public DNS.
  - A private address (RFC 1918, IPv6 unique local) gets a TCP connection to O(port) with a short O(timeout); refused,
    timed out or unreachable fails naming the host, the address, the port and what to check (the NSG of
    O(database_subnet), the controller's own subnet, peering, routes).
  - A loopback address is accepted like a private one and its port is checked too. It is how a controller outside the
    virtual network reaches the server through an SSH tunnel (C(ssh -L 5432:<private address>:5432 <jump host>), then
    O(hostaddr=127.0.0.1) with O(host) still the server's name for TLS), and how the local sandbox's emulated servers are
    reached (they are a local PostgreSQL cluster).
  - Nothing is sent on the connection (no TLS, no login); it is opened and closed. Nothing changes.
options:
  host:
    description: The server's name as the database modules use it (O(complianceflow.infra.postgresql_tier#module:login_host)), for example its FQDN.
    type: str
    required: true
  port:
    description: The server's port.
    type: int
    default: 5432
  hostaddr:
    description:
      - The address to connect to instead of resolving O(host), like libpq's C(hostaddr) (a comma-separated list is
        tried in order). Defaults to the environment variable E(PGHOSTADDR), which libpq reads too.
    type: str
  private_dns_zone:
    description: The server's private DNS zone (the plan's C(private_dns_zones.postgresql)); named in messages only.
    type: str
  management_subnet:
    description: Where the controller should run, for example V(snet-cf-westeu-dev-1-mgmt 10.10.10.0/24); named in messages only.
    type: str
  database_subnet:
    description: The server's delegated subnet, for example V(snet-cf-westeu-dev-1-db 10.10.2.0/24); named in messages only.
    type: str
  timeout:
    description: Seconds to wait for each TCP connection.
    type: float
    default: 5
extends_documentation_fragment:
  - complianceflow.infra.attributes
  - complianceflow.infra.attributes.INFO_MODULE
notes:
  - Not in an action group; it takes no login and sends nothing but a TCP handshake.
  - Role C(complianceflow.infra.postgresql_server) runs it after it sets the connection facts, before any database step,
    unless C(postgresql_server_check_reachability=false).
author:
  - ComplianceFlow Platform Team (@complianceflow)
"""

EXAMPLES = r"""
- name: Check this controller reaches the deployment's server
  complianceflow.infra.postgresql_reachability:
    host: psql-cf-westeu-dev-1.postgres.database.azure.com
    private_dns_zone: "{{ deployment_plan.private_dns_zones.postgresql }}"
    management_subnet: "{{ deployment_plan.names.subnets.management }} ({{ deployment_plan.subnets.management }})"
    database_subnet: "{{ deployment_plan.names.subnets.database }} ({{ deployment_plan.subnets.database }})"

- name: Through an SSH tunnel to the private address (ssh -L 5432:10.10.2.4:5432 jump), the name kept for TLS
  complianceflow.infra.postgresql_reachability:
    host: psql-cf-westeu-dev-1.postgres.database.azure.com
    hostaddr: 127.0.0.1
"""

RETURN = r"""
reachable:
  description: True (a failure fails the task).
  returned: always
  type: bool
  sample: true
host:
  description: O(host).
  returned: always
  type: str
  sample: psql-cf-westeu-dev-1.postgres.database.azure.com
port:
  description: O(port).
  returned: always
  type: int
  sample: 5432
source:
  description: Where the addresses came from, V(dns) or V(hostaddr).
  returned: always
  type: str
  sample: dns
addresses:
  description: The addresses DNS answered (or O(hostaddr) named), in order.
  returned: always
  type: list
  elements: str
  sample: [10.10.2.4]
address:
  description: The address the connection was opened to (on failure, the first one tried).
  returned: always
  type: str
  sample: 10.10.2.4
kind:
  description: V(private) or V(loopback), the kind of RV(address).
  returned: always
  type: str
  sample: private
problem:
  description:
    - On failure, what went wrong, V(not_found) (no such name), V(dns_failed) (no DNS answer), V(public_address),
      V(refused), V(timeout) or V(unreachable); null on success.
  returned: always
  type: str
  sample: null
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible_collections.complianceflow.infra.plugins.module_utils._pg.reachability import ReachabilityError, check

ARGUMENT_SPEC = {
    "host": {"type": "str", "required": True},
    "port": {"type": "int", "default": 5432},
    "hostaddr": {"type": "str", "fallback": (env_fallback, ["PGHOSTADDR"])},
    "private_dns_zone": {"type": "str"},
    "management_subnet": {"type": "str"},
    "database_subnet": {"type": "str"},
    "timeout": {"type": "float", "default": 5},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg=f"timeout must be more than 0 seconds, not {params['timeout']:g}")
    if not 1 <= params["port"] <= 65535:
        module.fail_json(msg=f"port must be 1 to 65535, not {params['port']}")
    try:
        verdict = check(params["host"], params["port"], hostaddr=params["hostaddr"] or None, zone=params["private_dns_zone"],
                        management_subnet=params["management_subnet"], database_subnet=params["database_subnet"],
                        timeout=params["timeout"])
    except ReachabilityError as exc:
        module.fail_json(msg=str(exc))
    # msg is one of the verdict's keys: passed with the rest (fail_json and exit_json take it as a keyword)
    if not verdict["reachable"]:
        module.fail_json(**verdict)
    module.exit_json(changed=False, **verdict)


if __name__ == "__main__":
    main()
