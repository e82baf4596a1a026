"""Training must learn: tiny real trainings on an easy synthetic split reach dev AUC >= 0.9 and
lower their own objective (on a fixed train batch, from the weights the stage starts with to the
ones it saves), for ASNet through the five curriculum stages and for every trained baseline.
Checked against broken trainers when written: training labels flipped (asnet.train.data and the
trees' fit) fails all eight on dev AUC; a zero learning rate fails all eight, and a zero learning
rate after `base` only fails sam, energy, ood and adv on their objective (unchanged to 1e-3).

The split: bona fide = voiced harmonic tones with jitter (F0 wobble) and shimmer (amplitude
wobble) and a steep spectral tilt; spoof = the same tones perfectly periodic, with a flatter tilt
(a buzzy vocoder). Every clip is normalised to a loudness drawn from the same range and lasts
a duration drawn from the same range, so level and length tell nothing; the classes differ in
spectrum and periodicity only. The models are shrunk and the step counts cut through params,
the same mechanism a run uses (asnet.runs.run_params), so each training takes seconds on a CPU.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from asnet.checkpoint import load_meta
from asnet.data.shards import ClipInfo, ShardWriter, WaveShards
from asnet.runs import find_run, run_params
from asnet.train.data import cut_batch, plan_epoch, trainable_labels
from asnet.train.stages import STAGES, Objective, loss_terms
from asnet.train.trainer import build_stage_model, run_stage
from asnet.utils import load_params

SAMPLE_RATE = 16000
MIN_AUC = 0.9


def smooth_noise(n: int, rng: np.random.Generator, points: int = 12) -> np.ndarray:
    """A slow random wobble in [-1, 1]: noise at `points` knots, linearly interpolated."""
    knots = rng.uniform(-1.0, 1.0, points)
    return np.interp(np.linspace(0, points - 1, n), np.arange(points), knots)


def voiced(bonafide: bool, n: int, rng: np.random.Generator) -> np.ndarray:
    """A harmonic tone; bona fide with jitter, shimmer and a steep tilt, spoof periodic and bright."""
    f0 = rng.uniform(100.0, 220.0) * (1 + (0.03 * smooth_noise(n, rng) if bonafide else np.zeros(n)))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    tilt = 1.6 if bonafide else 0.6
    harmonics = range(1, int(7000 / f0.max()) + 1)
    wave = sum(k ** -tilt * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) for k in harmonics)
    if bonafide:
        wave = wave * (1 + 0.3 * smooth_noise(n, rng, points=30))
    wave = wave + 0.01 * rng.standard_normal(n)
    level_db = rng.uniform(-30.0, -18.0)
    return (wave / np.sqrt(np.mean(wave**2)) * 10 ** (level_db / 20)).astype(np.float32)


def write_split(directory, per_class: int, seed: int):
    rng = np.random.default_rng(seed)
    with ShardWriter(directory) as writer:
        for i in range(2 * per_class):
            bonafide = i % 2 == 0
            n = int(rng.uniform(0.3, 0.5) * SAMPLE_RATE)
            label = "bonafide" if bonafide else "spoof"
            writer.add(ClipInfo(f"utt{i:03d}", 0, n, label, label if bonafide else "buzz", f"spk{i % 4}"),
                       voiced(bonafide, n, rng))
    return directory


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tensors this small train faster on one intra-op thread than on several that wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("learning") / "synthetic"
    write_split(root / "train", 24, seed=0)
    write_split(root / "dev", 16, seed=1)
    return root


def objective_on_train(stage: str, params: dict, weights, cache) -> float:
    """The stage's own objective (every weighted term) on one fixed batch of train crops, with the
    model of checkpoint dir `weights` (None: the seeded initial weights the stage starts from).
    Train mode as in training; dropout, outliers, shifts and PGD starts drawn from fixed seeds."""
    train = WaveShards(cache / "train")
    model = build_stage_model(params, weights, torch.device("cpu")).train()
    objective = Objective(stage, params, loss_terms(model))
    if objective.needs_decision_threshold:  # as in training: the model's own dev EER threshold
        objective.decision_threshold = load_meta(weights)["eer_threshold"]
    labels = trainable_labels(train)
    crop = round(params["base"]["clip_seconds"] * params["base"]["sample_rate"])
    step = plan_epoch(train, labels, len(train), 1, crop, np.random.default_rng(7))[0]
    host = objective.host_batch(cut_batch(train, step, crop), labels[step.indices], step.step_seed)
    torch.manual_seed(7)
    total, _ = objective(model, objective.prepare(model, host, "cpu"))
    return total.item()


def tiny_params() -> dict:
    """params.yaml with every model shrunk and every stage cut to a few steps (0.25 s crops)."""
    params = load_params(Path(__file__).parents[2] / "params.yaml")
    params["base"]["clip_seconds"] = 0.25
    params["model"].update(embed_dim=8, spectral_channels=[4, 4, 4, 4], prosody_channels=4, prosody_dilations=[1, 2],
                           attention_dim=4, gate_hidden=4, head_hidden=4, proj_dim=4)
    baselines = params["baselines"]
    baselines["lcnn"]["min_samples"] = 4000
    baselines["rawnet2"].update(min_samples=4000, sinc_kernel=256, block_channels=[20, 20, 32, 32, 32, 32],
                                gru_hidden=32, gru_layers=1, fc_hidden=32)
    baselines["trivial"]["n_estimators"] = 20
    params["train"]["common"]["batch_size"] = 8
    for stage in STAGES:
        params["train"][stage].update(epochs=1, steps_per_epoch=10, lr=0.003)
    params["train"]["base"]["steps_per_epoch"] = 40  # from random weights; later stages warm-start
    params["train"]["adv"]["steps"] = 2
    params["runs"]["rawnet2"]["set"]["train.base.lr"] = 0.003  # its own 1e-4 needs far more than 40 steps
    return params


@pytest.fixture(scope="module")
def asnet_curriculum(cache, tmp_path_factory):
    """asnet_s0 trained through base, sam, energy, ood, adv, each stage warm-started from the one
    before: {stage: (params, checkpoint dir, its metadata)}."""
    params = tiny_params()
    run = find_run(params, "asnet_s0")
    params = run_params(params, run)
    models = tmp_path_factory.mktemp("results") / "models" / run.id
    trained, init = {}, None
    for stage in run.stages:
        out = models / stage
        trained[stage] = (params, init, out, run_stage(stage, params, cache, out, init=init, device="cpu"))
        init = out
    return trained


@pytest.mark.parametrize("stage", STAGES)
def test_every_asnet_curriculum_stage_learns(asnet_curriculum, cache, stage):
    params, init, out, meta = asnet_curriculum[stage]
    assert meta["dev"]["auc"] >= MIN_AUC, f"{stage}: dev AUC {meta['dev']['auc']:.3f}"
    before, after = objective_on_train(stage, params, init, cache), objective_on_train(stage, params, out, cache)
    assert after < 0.97 * before, f"{stage}: objective {before:.4f} -> {after:.4f} on the same batch"


NEURAL_BASELINES = ["lcnn_s0", "rawnet2_s0"]


def test_every_trained_run_architecture_has_a_learning_test():
    """A baseline added to params `runs` needs its tiny training here too (imported weights do not)."""
    from asnet.runs import PRETRAINED, runs

    trained = {run.architecture for run in runs(tiny_params()) if PRETRAINED not in run.stages}
    assert trained == {"asnet", "trivial"} | {find_run(tiny_params(), r).architecture for r in NEURAL_BASELINES}


@pytest.mark.parametrize("run_id", NEURAL_BASELINES)
def test_every_trained_neural_baseline_learns(cache, tmp_path, run_id):
    params = tiny_params()
    params = run_params(params, find_run(params, run_id))
    out = tmp_path / run_id / "base"
    meta = run_stage("base", params, cache, out, device="cpu")
    assert meta["dev"]["auc"] >= MIN_AUC, f"{run_id}: dev AUC {meta['dev']['auc']:.3f}"
    before, after = objective_on_train("base", params, None, cache), objective_on_train("base", params, out, cache)
    assert after < 0.97 * before, f"{run_id}: objective {before:.4f} -> {after:.4f} on the same batch"


def test_the_trivial_cue_model_learns(cache, tmp_path):
    """Its trees are fitted, not trained: the loss is the log-loss of its log-odds on the train
    split, before (the prior alone: learning rate 0) and after the trees."""
    from asnet.models.baselines.trivial import shard_cues
    from asnet.checkpoint import load_checkpoint

    params = tiny_params()
    params = run_params(params, find_run(params, "trivial_s0"))
    out = tmp_path / "trivial_s0" / "base"
    meta = run_stage("base", params, cache, out, device="cpu")
    assert meta["dev"]["auc"] >= MIN_AUC, f"trivial: dev AUC {meta['dev']['auc']:.3f}"
    train = WaveShards(cache / "train")
    model, _ = load_checkpoint(out)
    cues, labels = torch.from_numpy(shard_cues(train, params["model"])), torch.from_numpy(train.labels).double()
    after = torch.nn.functional.binary_cross_entropy_with_logits(model.decision(cues), labels).item()
    model.learning_rate.zero_()
    before = torch.nn.functional.binary_cross_entropy_with_logits(model.decision(cues), labels).item()
    assert after < 0.97 * before, f"trivial: log-loss {before:.4f} -> {after:.4f}"
