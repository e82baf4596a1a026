import json

import yaml

from asnet.cli import main
from asnet.train.stages import STAGES


def write_params(tmp_path, params):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_train_and_bench_commands(tmp_path, make_split, tiny_params):
    params = tiny_params()
    for stage in STAGES:
        params["train"][stage].update(epochs=1, steps_per_epoch=1)
    params_path = write_params(tmp_path, params)
    cache = tmp_path / "cache" / "fake"
    make_split(cache / "train", 4, 4, seed=0)
    make_split(cache / "dev", 3, 3, seed=1)
    base, out = tmp_path / "models" / "asnet" / "base", tmp_path / "models" / "asnet" / "sam"
    live = tmp_path / "curves"
    common = ["--cache", str(cache), "--params", str(params_path), "--device", "cpu"]
    assert main(["train", "--stage", "base", "--out", str(base), "--live", str(tmp_path / "base_curves"), *common]) == 0
    argv = ["train", "--stage", "sam", "--out", str(out), "--init", str(base), *common]
    assert main(argv + ["--live", str(live)]) == 0
    assert json.loads((out / "checkpoint.json").read_text())["init"] == str(base)
    assert json.loads((out / "checkpoint.json").read_text())["sam_rho"] == params["train"]["sam"]["rho"]
    assert "total_perturbed" in json.loads((live / "metrics.json").read_text())["train"]

    report_path = tmp_path / "bench.json"
    bench = ["bench", "train", "--cache", str(cache), "--params", str(params_path), "--steps", "1", "--warmup", "0"]
    assert main(bench + ["--device", "cpu", "--out", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert sorted(report["stages"]) == sorted(STAGES)
    assert all(r["clips_per_s"] > 0 for r in report["stages"].values())


class Relaunched(Exception):
    pass


def test_processes_relaunch_train_under_torchrun_outside_params(tmp_path, monkeypatch):
    """`--processes` / ASNET_PROCESSES, not a params value: the command re-runs itself under torchrun."""
    import os
    import sys

    calls = []

    def execvp(program, argv):
        calls.append(argv)
        raise Relaunched

    monkeypatch.setattr(os, "execvp", execvp)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    argv = ["train", "--stage", "base", "--cache", "c", "--out", "o", "--processes", "2"]
    monkeypatch.setattr(sys, "argv", ["asnet", *argv])
    try:
        main(argv)
    except Relaunched:
        pass
    assert calls == [["torchrun", "--standalone", "--nproc_per_node", "2", "--no-python", "asnet", *argv]]
    monkeypatch.setenv("ASNET_PROCESSES", "3")
    monkeypatch.setattr(sys, "argv", ["asnet", *argv[:-2]])
    try:
        main(argv[:-2])
    except Relaunched:
        pass
    assert calls[-1][3] == "3"
    # inside torchrun (WORLD_SIZE set) it trains instead: here, on a cache that does not exist
    monkeypatch.setenv("WORLD_SIZE", "3")
    calls.clear()
    try:
        main(argv[:-2] + ["--params", str(tmp_path / "missing.yaml")])
    except (OSError, SystemExit):
        pass
    assert calls == []
