"""asnet.train.loader: DataLoader workers make the same host batches as the inline path, and a
stage trained through them has the same weights."""
import os

import numpy as np
import torch
from safetensors.torch import load_file

from asnet.data.shards import WaveShards
from asnet.train.data import plan_epoch, trainable_labels
from asnet.train.loader import PlannedSteps, auto_workers, host_batches
from asnet.train.stages import Objective
from asnet.train.trainer import run_stage


def test_workers_make_the_inline_batches_and_pin_them(tmp_path, make_split, tiny_params):
    shards = WaveShards(make_split(tmp_path / "train", 6, 6, seed=0))
    labels = trainable_labels(shards)
    objective = Objective("adv", tiny_params())  # crops, pseudo-outliers, shifts and PGD starts
    plan = plan_epoch(shards, labels, 4, 3, 1600, np.random.default_rng(0))
    steps = PlannedSteps(shards, labels, plan, 1600, slice(2, 4), objective)  # the second of two processes
    inline, workers = list(host_batches(steps, 0, False)), list(host_batches(steps, 2, False))
    assert len(inline) == len(workers) == 3
    for a, b in zip(inline, workers):
        assert a.wave.shape == (2, 1600) and a.outliers is not None and a.shifted is not None and a.start is not None
        for name in ("wave", "labels", "outliers", "shifted", "start"):
            assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert auto_workers(torch.device("cpu")) == 0
    cpus = len(os.sched_getaffinity(0))
    assert auto_workers(torch.device("cuda"), processes=cpus) == 1  # never 0 on CUDA, nor one per CPU per process


def test_a_stage_trained_through_workers_has_the_same_weights(tmp_path, fake_cache, tiny_params):
    params = tiny_params()
    params["train"]["ood"].update(epochs=1, steps_per_epoch=3)
    weights = []
    for workers in (0, 2):
        out = tmp_path / f"w{workers}"
        run_stage("ood", params, fake_cache, out, live_dir=tmp_path / f"live{workers}", device="cpu", loader_workers=workers)
        weights.append(load_file(str(out / "model.safetensors")))
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_augmentation_replaces_the_drawn_share_of_clips_per_sample(tiny_params):
    tiny_params = tiny_params()
    """train.common.augment_probability: 0 leaves the batch alone; otherwise each clip is replaced
    or not by its own seeded draw, so the same global sample gets the same result in any slice."""
    waves = (np.random.default_rng(0).standard_normal((8, 4000)) * 0.05).astype(np.float32)
    labels = np.array([0, 1] * 4)
    off = Objective("base", tiny_params).host_batch(waves, labels, step_seed=5)
    assert np.array_equal(off.wave.numpy(), waves)
    params = {**tiny_params, "train": {**tiny_params["train"],
                                       "common": {**tiny_params["train"]["common"], "augment_probability": 0.5}}}
    objective = Objective("base", params)
    on = objective.host_batch(waves, labels, step_seed=5).wave.numpy()
    changed = [not np.allclose(a, b) for a, b in zip(on, waves)]
    assert 0 < sum(changed) < len(waves)
    tail = objective.host_batch(waves[4:], labels[4:], step_seed=5, first_index=4).wave.numpy()
    assert np.array_equal(tail, on[4:])
