"""`asnet attack` and `asnet bench attack` end to end on a tiny ASNet checkpoint."""
import json

import numpy as np
import pytest
import torch
import yaml

from asnet.attacks.bench import bench_point
from asnet.attacks.subset import draw_subset
from asnet.checkpoint import META, save_checkpoint
from asnet.cli import main as asnet
from asnet.data.shards import ClipInfo, ShardWriter, WaveShards
from asnet.models import build_model

from attacks_toys import ATTACK_SECTION, ConstantDetector, attack_params

TINY_MODEL = dict(embed_dim=8, spectral_channels=[4, 4, 4, 4], prosody_channels=4, prosody_dilations=[1, 2],
                  attention_dim=4, gate_hidden=4, head_hidden=4, proj_dim=4)
GRID = ["pgd_linf", "noise_linf", "pgd_linf_unbounded", "pgd_linf_more_steps", "pgd_linf_more_restarts"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(params file, checkpoint dir, shard dir) with 0.1 s clips, 4 per run, 2 PGD steps."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    with ShardWriter(root / "eval") as writer:
        for i in range(8):
            bonafide = i < 4
            t = np.arange(2400) / 16000
            f0 = rng.uniform(100, 300)
            wave = (0.3 * np.sin(2 * np.pi * f0 * t) + 0.05 * rng.standard_normal(2400) if bonafide
                    else 0.3 * np.sin(2 * np.pi * (f0 + 400 * t) * t))
            writer.add(ClipInfo(f"utt{i}", 0, 2400, "bonafide" if bonafide else "spoof",
                                "bonafide" if bonafide else "tts", "spk"), wave)
    section = {**ATTACK_SECTION, "clips": 4, "clip_seconds": 0.1, "pgd": {"steps": 2, "restarts": 1, "step_fraction": 0.5},
               "sanity": {**ATTACK_SECTION["sanity"], "unbounded_steps": 2}, "suites": {"grid": GRID}}
    params = attack_params(**section)
    params["model"].update(TINY_MODEL)
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    torch.manual_seed(0)
    model = build_model({"architecture": "asnet", **params["model"]}).eval()
    subset = draw_subset(WaveShards(root / "eval"), 8, 1600, 0)
    point = bench_point(model, torch.from_numpy(subset.waves), subset.labels, 8)
    meta = {"model": {"architecture": "asnet", **params["model"]}, "stage": "base", "temperature": 1.0,
            "abstain_threshold": point.abstain_threshold, "eer_threshold": point.threshold,
            "ood_threshold": point.ood_threshold, "train_corpora": ["demo"]}
    save_checkpoint(root / "ckpt", model, meta)
    return root / "params.yaml", root / "ckpt", root / "eval"


def attack(setup, out, *extra, suite="grid"):
    params, checkpoint, shards = setup
    return asnet(["attack", "--checkpoint", str(checkpoint), "--shards", str(shards), "--suite", suite,
                  "--out", str(out), "--params", str(params), "--device", "cpu", *extra])


def test_attack_writes_one_file_per_result_and_a_summary(setup, tmp_path, capsys):
    rc = attack(setup, tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    names = {p.stem for p in (tmp_path / "out").glob("*.json")} - {"summary"}
    assert names == {r["name"] for r in summary["results"]} and len(names) == 3 + 3 + 3
    assert summary["stage"] == "base" and summary["architecture"] == "asnet" and summary["suite"] == "grid"
    failed = [c["name"] for c in summary["sanity"] if c["status"] == "fail"]
    assert rc == (1 if failed else 0)
    err = capsys.readouterr().err
    assert all(f"sanity check {name} failed" in err for name in failed)
    result = json.loads((tmp_path / "out" / "pgd_linf-eps0.004.json").read_text())
    assert result["checkpoint_digest"] == summary["checkpoint_digest"] and len(result["per_clip"]) == 4


def test_a_sanity_violation_writes_everything_then_exits_1(setup, tmp_path, capsys, monkeypatch):
    import asnet.checkpoint as checkpoint

    meta = json.loads((setup[1] / META).read_text())
    monkeypatch.setattr(checkpoint, "load_checkpoint", lambda directory, device: (ConstantDetector(), meta))
    assert attack(setup, tmp_path / "out") == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary["results"]) == 9 and not summary["passed"]
    lines = [l for l in capsys.readouterr().err.splitlines() if "sanity check" in l]
    assert lines and lines[0].startswith("asnet attack: sanity check unbounded failed:")


def test_bad_input_is_one_line_and_status_2(setup, tmp_path, capsys):
    params, checkpoint, shards = setup
    meta = json.loads((checkpoint / META).read_text())
    uncalibrated = tmp_path / "uncalibrated"
    uncalibrated.mkdir()
    (uncalibrated / META).write_text(json.dumps({**meta, "eer_threshold": None}))
    (uncalibrated / "model.safetensors").write_bytes((checkpoint / "model.safetensors").read_bytes())
    cases = [
        (["attack", "--checkpoint", str(uncalibrated), "--shards", str(shards), "--suite", "grid"], "no eer_threshold"),
        (["attack", "--checkpoint", str(checkpoint), "--shards", str(shards), "--suite", "full"], "no suite 'full'"),
        (["attack", "--checkpoint", str(tmp_path), "--shards", str(shards), "--suite", "grid"], "not a checkpoint"),
        (["attack", "--checkpoint", str(checkpoint), "--shards", str(tmp_path), "--suite", "grid"], "not a waveform shard"),
    ]
    for argv, message in cases:
        assert asnet([*argv, "--out", str(tmp_path / "o"), "--params", str(params), "--device", "cpu"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("asnet attack: error:") and message in err[0], err


def test_bench_times_every_attack_of_the_suites(setup, tmp_path, capsys):
    params, _, shards = setup
    out = tmp_path / "bench" / "attack.json"
    assert asnet(["bench", "attack", "--shards", str(shards), "--params", str(params), "--out", str(out),
                  "--clips", "4", "--threads", "1"]) == 0
    cpu = json.loads(out.read_text())["devices"]["cpu"]
    assert set(cpu["attacks"]) == set(GRID) and cpu["clips"] == 4
    assert all(a["clips_per_s"] > 0 for a in cpu["attacks"].values())
    assert cpu["suites"]["grid"]["seconds"] == pytest.approx(sum(a["seconds"] for a in cpu["attacks"].values()), rel=1e-5)
    assert "suite grid" in capsys.readouterr().out


@pytest.fixture
def claim_params(setup, tmp_path):
    """The setup's params with a claims suite on its own subset (6 clips of 0.05 s, one eps)."""
    params = yaml.safe_load(setup[0].read_text())
    params["attack"]["suites"]["claim"] = ["pgd_linf"]
    params["attack"]["suite_subsets"] = {"claim": {"clips": 6, "clip_seconds": 0.05, "linf_eps": [0.004]}}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_the_claim_suite_runs_on_its_own_subset(setup, claim_params, tmp_path):
    _, checkpoint, shards = setup
    assert asnet(["attack", "--checkpoint", str(checkpoint), "--shards", str(shards), "--suite", "claim",
                  "--out", str(tmp_path / "claim"), "--params", str(claim_params), "--device", "cpu"]) in (0, 1)
    summary = json.loads((tmp_path / "claim" / "summary.json").read_text())
    assert summary["suite"] == "claim" and [r["name"] for r in summary["results"]] == ["pgd_linf-eps0.004"]
    assert summary["subset"]["clips"] == 6 and summary["subset"]["clip_seconds"] == 0.05
    result = json.loads((tmp_path / "claim" / "pgd_linf-eps0.004.json").read_text())
    assert sorted(c["label"] for c in result["per_clip"]) == [0, 0, 0, 1, 1, 1]


def test_bench_attack_cost_prints_writes_and_sizes(claim_params, tmp_path, capsys):
    out = tmp_path / "cost.json"
    assert asnet(["bench", "attack-cost", "--models", "asnet", "--batch", "2", "--seconds", "0.05", "--repeats", "1",
                  "--params", str(claim_params), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    cost, passes = report["models"]["asnet"], report["passes_per_checkpoint"]
    assert passes == {"forward": 6 * (1 + 1 * 2), "forward_backward": 6 * 1 * 1 * 2}  # 2 steps, 1 restart, 1 eps
    expected = (passes["forward"] * cost["forward"]["cpu_s"] + passes["forward_backward"] * cost["forward_backward"]["cpu_s"])
    assert cost["cpu_minutes_per_checkpoint"] == pytest.approx(expected / 60, rel=1e-3)  # JSON floats are rounded
    assert cost["cpu_minutes"] == pytest.approx(cost["checkpoints"] * expected / 60, rel=1e-3) and cost["checkpoints"] >= 1
    assert "forward+backward" in capsys.readouterr().out
