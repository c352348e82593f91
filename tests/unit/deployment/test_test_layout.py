"""The test tree itself: pytest (rootdir-relative imports, no __init__.py) refuses to collect two test files with the
same basename in one run ("import file mismatch"), which stops the whole suite at collection in CI."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]


def test_every_test_file_has_a_basename_of_its_own():
    where = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        if "output" not in path.relative_to(TESTS).parts:
            where[path.name].append(str(path.relative_to(TESTS)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}
