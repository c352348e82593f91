# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/deploy/run.py --scale: the scaled profile, the check of the option, and the split of a deploy's wall time into
what does not grow with Azure's times and what does; and the whole output a failed run keeps."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[3] / "bench" / "deploy" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_deploy_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_a_scaled_profile_multiplies_every_latency_and_keeps_the_rest(bench):
    profile = {"_comment": "source", "latency": {"default": 0, "Microsoft.DBforPostgreSQL/flexibleServers": 10}}
    assert bench.scaled(profile, 2.5) == {"_comment": "source",
                                          "latency": {"default": 0, "Microsoft.DBforPostgreSQL/flexibleServers": 25.0}}
    assert profile["latency"]["Microsoft.DBforPostgreSQL/flexibleServers"] == 10   # the profile read is left as it is


def test_the_fit_separates_fixed_local_work_from_what_grows_with_the_latencies(bench):
    # 7 s of local work, then 36 s of path per unit of scale: seen at three scales, with noise that cancels out.
    fixed, growth = bench.fit([(1, 43.5), (2, 79.0), (3, 114.5)])
    assert fixed == pytest.approx(8.0)
    assert growth == pytest.approx(35.5)


@pytest.mark.parametrize("argv, message", [
    (["--scale", "0"], "'0': seconds for each Azure minute, a number above 0 and at most 60"),
    (["--scale", "61"], "'61': seconds for each Azure minute"),
    (["--scale", "fast"], "'fast': seconds for each Azure minute"),
    (["--scale", "1", "1"], "--scale: each scale once, got 1 1"),
])
def test_a_bad_scale_is_refused_before_anything_runs(bench, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(argv + ["--dry-run"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_dry_run_names_every_scale(bench, capsys):
    assert bench.main(["--only", "pair", "--scale", "1", "2", "--dry-run"]) == 0
    assert "latencies x1, x2" in capsys.readouterr().out


def _run(scale, wall, busy, path):
    return {"scale": scale, "deploy": {"wall": wall, "busy_cpu": busy, "overlapped": path}}


def test_the_split_and_its_projection_onto_azure_times_are_printed(bench, capsys, monkeypatch):
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    figures = bench.report_fit(bench.SCENARIOS["pair"], [_run(1, 42.0, 20.0, 36.0), _run(2, 78.0, 22.0, 72.0)])
    assert figures == {"fixed_seconds": 6.0, "growth_per_scale": 36.0, "path_per_scale": 36.0,
                       "projected_ratio_at_60": pytest.approx((6 + 60 * 36) / (60 * 36), abs=1e-4)}
    out = capsys.readouterr().out
    assert "wall = 6.0 s + 36.0 s x scale" in out and "1.003x its critical path" in out


def test_a_deploy_bound_by_cpu_is_not_split(bench, capsys, monkeypatch):
    # The estate on 2 cores: 81 % of the cores busy at x1; a line fitted there would say nothing about Azure's times.
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    figures = bench.report_fit(bench.SCENARIOS["estate"], [_run(1, 108.9, 177.3, 42.0), _run(2, 118.8, 163.3, 84.0)])
    assert figures == {"cpu_bound": {"1": 0.81, "2": 0.69}}
    out = capsys.readouterr().out
    assert "not split" in out and "81% busy at x1" in out and "projection" not in out


def test_a_failed_run_keeps_its_whole_output(bench, tmp_path):
    """The failure's message shows only the output's tail; the task that failed is kept in a file it names."""
    stdout = "TASK [flow log]\nfatal: [global-dev]: FAILED! InvalidResourceGroupLocation\n" + "ok: [x]\n" * 5000
    path = bench.keep_failed_output("deploy", stdout, "a warning", under=tmp_path / "failed")
    assert path.parent == tmp_path / "failed" and path.name.endswith("-deploy.log")
    assert path.read_text(encoding="utf-8") == stdout + "\n--- stderr ---\na warning"
