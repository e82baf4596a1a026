"""End-to-end runs of the trainer on tiny fake shards with a tiny ASNet (seconds, not minutes)."""
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from asnet.checkpoint import load_checkpoint, load_meta
from asnet.train import trainer as trainer_module
from asnet.train.stages import Objective, loss_terms
from asnet.train.trainer import build_stage_model, run_stage


@pytest.fixture(scope="module")
def cache(tmp_path_factory, make_split):
    root = tmp_path_factory.mktemp("cache") / "fake"
    make_split(root / "train", 4, 6, seed=0)
    make_split(root / "dev", 4, 4, seed=1)
    return root


@pytest.fixture(scope="module")
def base_run(cache, tmp_path_factory, tiny_params):
    out = tmp_path_factory.mktemp("models") / "asnet" / "base"
    meta = run_stage("base", tiny_params(), cache, out, device="cpu")
    return out, meta


def test_base_stage_writes_a_calibrated_checkpoint_and_curves(base_run, tiny_params):
    out, meta = base_run
    assert load_meta(out) == json.loads((out / "checkpoint.json").read_text())
    assert meta["stage"] == "base" and meta["epoch"] == 2 and meta["train_corpora"] == ["fake"]
    assert meta["train_systems"] == ["tts0", "tts1"]
    assert 0.05 <= meta["temperature"] <= 20 and np.isfinite(meta["abstain_threshold"])
    model, _ = load_checkpoint(out)
    assert not model.training
    live = out.parent.parent.parent / "train" / "asnet" / "base"
    summary = json.loads((live / "metrics.json").read_text())
    assert {"ce", "branch_ce", "cmra", "total"} <= set(summary["train"]) and "auc" in summary["dev"]
    assert summary["weight"]["cmra"] == tiny_params()["train"]["base"]["weight_cmra"]
    assert (live / "plots" / "metrics" / "train" / "ce.tsv").read_text().count("\n") == 3  # header + 2 epochs
    assert not (out.parent / ".resume" / "base" / "state.pt").exists()


def test_the_model_card_is_written_beside_the_checkpoint(base_run):
    out, meta = base_run
    card = (out / "MODEL_CARD.md").read_text()
    model, _ = load_checkpoint(out)
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert f"trainable parameters: {parameters:,}" in card
    assert "curriculum stage: `base`" in card and "`fake`" in card and "`tts0`, `tts1`" in card


def test_warm_start_loads_the_previous_stage_weights(base_run, tiny_params):
    out, _ = base_run
    model = build_stage_model(tiny_params(), out, torch.device("cpu"))
    saved = load_file(str(out / "model.safetensors"))
    assert saved.keys() == model.state_dict().keys()
    assert all(torch.equal(value, saved[name]) for name, value in model.state_dict().items())


@pytest.mark.parametrize("branches", [["spectral", "prosodic"], ["prosodic"]])
@pytest.mark.parametrize("stage", ["base", "sam", "energy", "ood", "adv"])
def test_every_loss_term_reaches_the_weights(stage, branches, tiny_params):
    """No term may be a constant (upstream's STC had no-grad inputs): each one has a gradient path
    to the weights (a hinge that is inactive on this batch still has one). One branch has no CMRA."""
    params = tiny_params()
    params["model"]["branches"] = branches
    model = build_stage_model(params, None, torch.device("cpu"))
    objective = Objective(stage, params, loss_terms(model))
    objective.decision_threshold = 0.5
    rng = np.random.default_rng(0)
    waves = rng.uniform(-0.5, 0.5, size=(4, 1600)).astype(np.float32)
    inputs = objective.prepare(model, objective.host_batch(waves, np.array([0, 1, 0, 1]), 0), "cpu")
    terms, _ = objective.terms(model, inputs)
    assert set(terms) == set(objective.weights)
    expected = {"base": 3, "sam": 3, "energy": 5, "ood": 8, "adv": 11}[stage]
    two_view_terms = {"base": 1, "sam": 1, "energy": 1, "ood": 1, "adv": 2}[stage]
    assert len(terms) == expected - (two_view_terms if len(branches) == 1 else 0)
    params_list = [p for p in model.parameters() if p.requires_grad]
    for name, value in terms.items():
        grads = torch.autograd.grad(value, params_list, retain_graph=True, allow_unused=True)
        assert any(g is not None for g in grads), f"{stage}: {name} never reaches a weight"


def test_the_abstention_target_follows_the_current_dev_eer_threshold(base_run, cache, tmp_path, monkeypatch, tiny_params):
    """The abstention head learns errors of the deployed decision (score > dev EER threshold):
    the energy stage starts at the dev EER threshold of its init weights (the base checkpoint's
    eer_threshold, same dev clips) and moves to each epoch's dev EER threshold after its dev pass."""
    from asnet.train import stages

    used = []
    real = stages.abstention_loss

    def record(abstain, logits, labels, threshold):
        used.append(threshold)
        return real(abstain, logits, labels, threshold)

    monkeypatch.setattr(stages, "abstention_loss", record)
    init, base_meta = base_run
    out = tmp_path / "asnet" / "energy"
    params = tiny_params()
    run_stage("energy", params, cache, out, init=init, device="cpu")
    energy = params["train"]["energy"]
    steps = energy["steps_per_epoch"] * (2 if energy["use_sam"] else 1)  # SAM: two passes per step
    assert energy["epochs"] == 2 and len(used) == 2 * steps
    assert used[:steps] == [pytest.approx(base_meta["eer_threshold"])] * steps
    epoch_one = json.loads((out.parent.parent.parent / "train" / "asnet" / "energy" / "metrics.json").read_text())
    history = (out.parent.parent.parent / "train" / "asnet" / "energy" / "plots" / "metrics" / "dev" / "eer_threshold.tsv")
    first_epoch_threshold = float(history.read_text().splitlines()[1].split("\t")[-1])
    assert used[steps:] == [pytest.approx(first_epoch_threshold)] * steps
    assert "eer_threshold" in epoch_one["dev"] and base_meta["eer_threshold"] != 0.0


def test_resume_after_a_kill_equals_an_uninterrupted_run(cache, tmp_path, monkeypatch, tiny_params):
    """The adv stage (SAM, outliers, shifts, PGD random starts, EMA): killed right after its
    first epoch checkpoint, rerun, it must end bit-identical to a run that was never stopped."""
    params = tiny_params()
    whole = tmp_path / "whole" / "asnet" / "adv"
    run_stage("adv", params, cache, whole, device="cpu")

    killed = tmp_path / "killed" / "asnet" / "adv"
    real_save = trainer_module.save_resume

    def save_then_die(*args):
        real_save(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer_module, "save_resume", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_stage("adv", params, cache, killed, device="cpu")
    assert (killed.parent / ".resume" / "adv" / "state.pt").exists() and not (killed / "checkpoint.json").exists()
    monkeypatch.setattr(trainer_module, "save_resume", real_save)
    run_stage("adv", params, cache, killed, device="cpu")

    assert (whole / "model.safetensors").read_bytes() == (killed / "model.safetensors").read_bytes()
    timeless = lambda meta: {k: v for k, v in meta.items() if k != "wall_s"}  # noqa: E731
    assert timeless(load_meta(whole)) == timeless(load_meta(killed))
    assert (whole / "dev_scores.tsv").read_bytes() == (killed / "dev_scores.tsv").read_bytes()
    live = lambda root: root.parent.parent.parent / "train" / "asnet" / "adv"  # noqa: E731
    for path in sorted(p.relative_to(live(whole)) for p in live(whole).rglob("*") if p.is_file()):
        assert (live(whole) / path).read_bytes() == (live(killed) / path).read_bytes(), path
