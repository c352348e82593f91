"""Resource providers: one module per ARM namespace, each exporting TYPES (ResourceType objects).

To add a provider (e.g. keyvault.py), write the module and list it in PROVIDER_MODULES.
"""
from __future__ import annotations

import importlib

from .base import ResourceType

PROVIDER_MODULES = ("resources", "network", "privatedns", "keyvault", "postgresql", "operationalinsights", "authorization",
                    "containerregistry", "insights_components", "cache", "insights_diagnostics", "network_watcher",
                    "storage", "private_endpoints", "network_bastion", "apimanagement", "consumption", "network_ddos", "app",
                    "managedidentity", "eventhub", "network_peering")


def load_registry() -> dict[str, ResourceType]:
    """Map each lower-cased type name ("microsoft.network/virtualnetworks/subnets") to its handler."""
    registry: dict[str, ResourceType] = {}
    for module_name in PROVIDER_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for handler in module.TYPES:
            registry[handler.type_name.lower()] = handler
    return registry
