# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to the collection: can this controller reach a VNet-only PostgreSQL server? Pure logic, no Ansible.

A VNet-integrated Flexible Server has no public endpoint: its name resolves to its private address only
through the private DNS zone linked to the virtual network the client runs in (or through a DNS server
there that forwards to Azure DNS), and its port opens only to what the subnets' NSGs admit. Microsoft:
learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private ("Private DNS zone and
virtual network peering", "Integration with a custom DNS server").

check() answers before any database step, with a message that says where the controller must run:
  - the name does not resolve (NXDOMAIN)          -> names the private DNS zone and where to run;
  - it resolves to public addresses only           -> the controller asks public DNS: same advice;
  - a private address (RFC 1918, IPv6 ULA)         -> a TCP connect to the port, a short timeout;
    refused / timed out / unreachable              -> names host, address, port, and the NSG advice;
  - a loopback address (an SSH tunnel's local end, or the sandbox, whose servers are the local cluster)
    is accepted like a private one: the port is still checked.
libpq's hostaddr (PGHOSTADDR) replaces the name lookup, as in libpq: the address given is classified and
connected to; the name is not resolved.

resolver(host, port) -> [address, ...] (raises socket.gaierror) and connector(address, port, timeout)
(raises OSError) are parameters so that tests inject them; the defaults use the socket module.
"""
from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Callable

# What a VNet's private address can be here: RFC 1918 (the CIDR registry's 10.x blocks) and IPv6 unique local
# addresses. Azure also allows other ranges in a VNet; an address outside these counts as public.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
NOT_FOUND_ERRORS = {socket.EAI_NONAME} | ({socket.EAI_NODATA} if hasattr(socket, "EAI_NODATA") else set())
DEFAULT_TIMEOUT = 5.0

Resolver = Callable[[str, int], list]
Connector = Callable[[str, int, float], None]


class ReachabilityError(ValueError):
    """An option that cannot be checked (e.g. a hostaddr that is not an IP address)."""


def resolve(host: str, port: int) -> list[str]:
    """Addresses of host in getaddrinfo's order (what libpq tries, in that order), without repeats."""
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if sockaddr[0] not in found:
            found.append(sockaddr[0])
    return found


def tcp_connect(address: str, port: int, timeout: float) -> None:
    """Open and close a TCP connection; raises OSError (refused, timeout, unreachable)."""
    with socket.create_connection((address, port), timeout=timeout):
        pass


def classify(address: str) -> str:
    """'loopback', 'private' or 'public' (anything else, link-local included)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 address may carry a %zone
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    if ip.is_loopback:
        return "loopback"
    return "private" if any(ip in net for net in PRIVATE_NETWORKS) else "public"


def where_to_run(zone: str | None, management_subnet: str | None) -> str:
    """The advice every failure ends with."""
    zone_text = zone or "the server's private DNS zone"
    subnet = f"management subnet {management_subnet}" if management_subnet else "management subnet"
    return (f"Run the controller (an AWX execution node, a jump host) in the deployment's {subnet}, whose virtual "
            f"network is linked to {zone_text}, or in a peered or hub network with its own virtual network link to that "
            "zone (a custom DNS server there must forward to Azure DNS, 168.63.129.16) and an inbound rule for it in the "
            "database subnet's NSG. A controller that reaches the server another way (an SSH tunnel to 127.0.0.1 given as "
            "hostaddr, a VPN with DNS forwarding) can skip this check (role postgresql_server: "
            "postgresql_server_check_reachability: false)")


def _port_advice(port: int, database_subnet: str | None) -> str:
    db = f"database subnet {database_subnet}" if database_subnet else "database subnet"
    return (f"The address is right; the path is not open: the NSG of the {db} admits {port}/tcp only from the "
            "deployment's apps, management and database subnets (this collection's rules); check also the outbound "
            "rules of the controller's subnet, the peering and routes (a firewall between them), and that the server runs")


def check(host: str, port: int, *, hostaddr: str | None = None, zone: str | None = None,
          management_subnet: str | None = None, database_subnet: str | None = None, timeout: float = DEFAULT_TIMEOUT,
          resolver: Resolver = resolve, connector: Connector = tcp_connect) -> dict:
    """The verdict: {reachable, host, port, source, addresses, address, kind, problem, msg}.

    source is 'hostaddr' or 'dns'; kind of the address connected to ('private' or 'loopback'); problem one of
    None, 'not_found', 'dns_failed', 'public_address', 'refused', 'timeout', 'unreachable'.
    """
    verdict = {"reachable": False, "host": host, "port": port, "source": "hostaddr" if hostaddr else "dns",
               "addresses": [], "address": None, "kind": None, "problem": None, "msg": ""}
    advice = where_to_run(zone, management_subnet)
    if hostaddr:
        addresses = [a.strip() for a in str(hostaddr).split(",") if a.strip()]
        for address in addresses:
            try:
                ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError:
                raise ReachabilityError(f"hostaddr {address!r} is not an IP address (libpq's hostaddr takes "
                                        "numeric addresses only)") from None
        found_by = f"hostaddr (PGHOSTADDR) {', '.join(addresses)}, given for {host}"
    else:
        try:
            addresses = resolver(host, port)
        except socket.gaierror as exc:
            zone_text = f"the private DNS zone {zone}" if zone else "the server's private DNS zone"
            if exc.errno in NOT_FOUND_ERRORS:
                verdict.update(problem="not_found", msg=(
                    f"{host} does not resolve from this controller (no such name: {exc.strerror or exc}). The server has "
                    f"no public endpoint; its name resolves only in virtual networks linked to {zone_text}, and this "
                    f"controller is not in one. {advice}."))
            else:
                verdict.update(problem="dns_failed", msg=(
                    f"{host} could not be resolved from this controller ({exc.strerror or exc}: no DNS answer). Its "
                    f"private address comes from {zone_text}, which Azure DNS answers in the virtual networks linked to "
                    f"it. {advice}."))
            return verdict
        found_by = f"DNS answered {', '.join(addresses) or 'nothing'} for {host}"
    verdict["addresses"] = addresses
    usable = [a for a in addresses if classify(a) in ("private", "loopback")]
    if not usable:
        zone_text = f"the private DNS zone {zone}" if zone else "the server's private DNS zone"
        verdict.update(problem="public_address", msg=(
            f"{found_by}: no private address. " + (
                "The server has no public endpoint: a public address cannot reach it. " if hostaddr else
                f"This controller resolves the name through public DNS, not through {zone_text}, and the server has no "
                "public endpoint (VNet integration). ") + f"{advice}."))
        return verdict
    failures = []
    for address in usable:
        try:
            connector(address, port, timeout)
        except (socket.timeout, TimeoutError):
            failures.append((address, "timeout", f"no answer within {timeout:g} s"))
        except ConnectionRefusedError:
            failures.append((address, "refused", "connection refused"))
        except OSError as exc:
            failures.append((address, "timeout" if exc.errno == errno.ETIMEDOUT else "unreachable",
                             exc.strerror or str(exc) or type(exc).__name__))
        else:
            kind = classify(address)
            verdict.update(reachable=True, address=address, kind=kind, msg=(
                f"{host} reached at {address}:{port} ({'loopback: an SSH tunnel or the local sandbox' if kind == 'loopback' else 'private address'}, "
                f"{'hostaddr' if hostaddr else 'resolved through DNS'})"))
            return verdict
    address, problem, _why = failures[0]
    tried = "; ".join(f"{a}:{port}: {why}" for a, _p, why in failures)
    verdict.update(address=address, kind=classify(address), problem=problem, msg=(
        f"{found_by}, but port {port} did not open from this controller ({tried}). "
        f"{_port_advice(port, database_subnet)}. {advice}."))
    return verdict
