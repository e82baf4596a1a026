"""scripts/gpu_check.sh runs end to end on CPU with tiny settings (the GPU run is the same script with
--device cuda and the default sizes).

Cost: the script's tiny CPU run, ~1.5 min on 2 cores (torch imports in five processes, one
`asnet bench model`, one `asnet bench train` of all five stages at 4 clips of 0.5 s).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--device", "cpu", "--batch", "4", "--crops", "0.5", "--clips", "8", "--steps", "1", "--repeats", "1",
        "--attack-clips", "4", "--train-clips", "64", "--dev-clips", "8"]
MUST_PASS = ("environment", "prepare", "bench_model", "bench_train_0.5s", "curriculum")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_check")
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "scripts/gpu_check.sh"), str(out), *TINY], env=env,
                          capture_output=True, text=True, timeout=900)
    return out, done


def test_every_step_runs_and_is_reported(tiny_run):
    out, done = tiny_run
    summary = json.loads((out / "gpu_check.json").read_text())
    steps = summary["steps"]
    for name in MUST_PASS:
        assert steps[name]["status"] == "ok", f"{name}: {steps[name]}\n{done.stdout[-4000:]}"
    assert steps["bench_attack"]["status"] in ("ok", "skipped", "failed", "timed_out")
    failed = [n for n, s in steps.items() if s["status"] in ("failed", "timed_out")]
    assert done.returncode == (1 if failed else 0)
    assert (out / "gpu_check.log").read_text().count("== ") >= 2 * len(MUST_PASS)
    assert {"bench_model", "bench_train_0.5s", "curriculum"} <= set(summary["results"])


def test_the_report_covers_every_stage_and_the_goal(tiny_run):
    out, _ = tiny_run
    trained = json.loads((out / "bench_train_0.5s.json").read_text())["stages"]
    report = json.loads((out / "curriculum.json").read_text())
    assert set(report["projection"]["stages"]) == set(report["data_path"]) == set(trained)
    assert report["projection"]["batch"] == 4 and report["projection"]["steps_per_full_pass"] == 16
    assert report["base_goal"]["crop_seconds"] == 0.5 and report["base_goal"]["met"] is False
    costs = report["host_ms_per_batch"]
    assert set(costs) == {"assembly", "outliers", "shifts"} and all(ms > 0 for ms in costs.values())


def test_a_step_past_the_deadline_is_skipped_not_run(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "scripts/gpu_check.sh"), str(tmp_path), *TINY, "--deadline", "1"],
                          env=env, capture_output=True, text=True, timeout=120)
    steps = json.loads((tmp_path / "gpu_check.json").read_text())["steps"]
    assert {s["status"] for s in steps.values()} == {"skipped"}, steps
    assert done.returncode == 0


def test_a_missing_package_stops_the_run_at_the_environment_step(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['av'] = None\n")
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(blocker)}
    done = subprocess.run(["bash", str(ROOT / "scripts/gpu_check.sh"), str(tmp_path / "out"), *TINY],
                          env=env, capture_output=True, text=True, timeout=120)
    steps = json.loads((tmp_path / "out" / "gpu_check.json").read_text())["steps"]
    assert steps.pop("environment")["status"] == "failed"
    assert {s["status"] for s in steps.values()} == {"skipped"}, steps
    assert "missing packages: av" in done.stdout and done.returncode == 1
