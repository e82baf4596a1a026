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
