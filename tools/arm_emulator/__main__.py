"""python -m arm_emulator (with tools/ on sys.path): see cli.py."""
from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
