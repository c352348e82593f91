"""A local HTTPS emulator of Azure Resource Manager for tests and the sandbox.

Not part of the built collection (galaxy.yml build_ignore lists tools/). See docs/emulator.md.
"""
from __future__ import annotations

__version__ = "1.0.0"
