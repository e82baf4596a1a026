"""`asnet score` with a tiny stand-in detector that returns the model API's fields."""
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

import asnet.checkpoint
from asnet.cli import main as cli_main
from asnet.data.shards import ClipInfo, WaveShards, save_array, to_int16, write_index
from asnet.eval.inference import length_batches, run_model
from asnet.eval.metrics import ScoreError
from asnet.eval.windows import WindowPolicy
from asnet.eval.scorefile import SCORE_COLUMNS, GATE_COLUMNS, read_scores

TEMPERATURE = 2.0
WINDOWS = WindowPolicy.from_seconds(30.0, 4.0, 2.0, 16000)


@dataclass
class FakeOutput:
    logits: torch.Tensor
    score: torch.Tensor
    energy: torch.Tensor
    abstain: torch.Tensor
    gate: torch.Tensor


class FakeDetector(torch.nn.Module):
    """Depends on the whole clip (so zero padding would change it); NaN on silence (0 / 0), and
    raises on clips shorter than its kernel."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv1d(1, 1, 9)
        self.head = torch.nn.Linear(2, 2)

    def forward(self, wave, lengths=None):  # ignores lengths: padding leaks into its statistics
        x = self.conv(wave[:, None]).squeeze(1)
        level = x.abs().mean(1)
        peakiness = wave.abs().amax(1) / wave.abs().mean(1)
        logits = self.head(torch.stack([level, peakiness], 1))
        gate = torch.softmax(torch.stack([level, -level], 1), 1)
        return FakeOutput(logits, logits[:, 1] - logits[:, 0], -torch.logsumexp(logits, 1), -logits.abs().sum(1), gate)


def write_shard(directory, clips):
    """clips: list of (utt_id, wave, label, system)."""
    rows, offset = [], 0
    for utt_id, wave, label, system in clips:
        rows.append(ClipInfo(utt_id, offset, len(wave), label, system, "spk"))
        offset += len(wave)
    directory.mkdir(parents=True)
    save_array(directory / "wave.npy", to_int16(np.concatenate([c[1] for c in clips])))
    write_index(directory / "index.csv", rows)
    return directory


@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    rng = np.random.default_rng(0)
    lengths = [800, 800, 800, 1200, 1000, 800, 1500, 1200]
    clips = [
        (f"u{i:02d}", rng.normal(0, 0.1 + 0.05 * i, n).astype(np.float32), "bonafide" if i % 2 else "spoof", "bonafide" if i % 2 else f"sys{i % 3}")
        for i, n in enumerate(lengths)
    ]
    clips += [
        ("x_silent", np.zeros(900, np.float32), "spoof", "sys0"),
        ("x_empty", np.zeros(0, np.float32), "spoof", "sys1"),
    ]
    return write_shard(tmp_path_factory.mktemp("shards") / "eval", clips)


def test_length_batches_pad_only_as_far_as_the_model_is_exact():
    assert length_batches([5, 3, 5, 5, 3], 2, 100, padding=0) == [[1, 4], [0, 2], [3]]
    assert length_batches([5, 3, 5, 5, 3], 8, 100, padding=float("inf")) == [[1, 4, 0, 2, 3]]
    assert length_batches([100, 105, 120, 120], 8, 1000, padding=110) == [[0, 1], [2, 3]]
    assert length_batches([100, 105, 120], 8, 240, padding=float("inf")) == [[0, 1], [2]]  # samples bound


def test_scores_equal_single_clip_scores_and_data_problems_are_rejected(shard):
    model = FakeDetector().eval()
    batched = run_model(model, WaveShards(shard), 4, "cpu", WINDOWS)
    single = run_model(model, WaveShards(shard), 1, "cpu", WINDOWS)
    assert batched.utt_id == [f"u{i:02d}" for i in range(8)]
    np.testing.assert_allclose(batched.score, single.score, rtol=1e-6)
    np.testing.assert_allclose(batched.logits[:, 1] - batched.logits[:, 0], batched.score, rtol=1e-6)
    assert dict(batched.rejects) == {"x_empty": "empty", "x_silent": "silent"}  # never shown to the model
    # a model that ignores `lengths` sees zero padding: why one without `exact_padding` gets none
    model.exact_padding = float("inf")
    padded = run_model(model, WaveShards(shard), 16, "cpu", WINDOWS)
    assert not np.allclose(padded.score, batched.score)


def test_asnet_scored_in_mixed_length_batches_equals_clip_by_clip(tmp_path, monkeypatch):
    """The real model: batches of clips of different lengths give every clip its scores alone."""
    from asnet.eval import inference
    from asnet.models import build_model
    from asnet.utils import load_params

    torch.manual_seed(0)
    model = build_model(load_params(Path(__file__).parents[2] / "params.yaml")["model"]).eval()
    for module in model.modules():  # BatchNorm shifts as after training: padding would show
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.bias.data.uniform_(-0.5, 0.5)
    rng = np.random.default_rng(0)
    clips = []
    for i, n in enumerate([3000, 4711, 5200, 6401, 7000, 8123, 9600, 12000]):
        t = np.arange(n) / 16000
        voiced = 0.2 * np.sin(2 * np.pi * (110 + 15 * i) * t * (1 + 0.3 * t)) + 0.02 * rng.normal(size=n)
        clips.append((f"c{i}", voiced.astype(np.float32), "bonafide", "bonafide"))
    shards = WaveShards(write_shard(tmp_path / "eval", clips))
    calls = []
    forward = inference.forward_batch
    monkeypatch.setattr(inference, "forward_batch", lambda m, waves, device: calls.append(len(waves)) or forward(m, waves, device))
    batched = run_model(model, shards, 4, "cpu", WINDOWS)
    assert calls == [4, 4]  # mixed lengths did share batches
    single = run_model(model, shards, 1, "cpu", WINDOWS)
    for name in ("score", "energy", "abstain", "gate"):
        np.testing.assert_allclose(getattr(batched, name), getattr(single, name), atol=1e-5, err_msg=name)


def test_a_model_error_is_raised_naming_the_clip_not_turned_into_a_reject(shard, tmp_path):
    """A shape bug (the kernel is longer than the clip) or a NaN on a clip with signal is the
    model's fault: the stage must fail, not score the rest and print a clean EER."""
    short = write_shard(tmp_path / "short", [("u_ok", np.full(800, 0.1, np.float32), "spoof", "sys0"),
                                              ("x_short", np.full(5, 0.1, np.float32), "bonafide", "bonafide")])
    with pytest.raises(RuntimeError) as caught:
        run_model(FakeDetector().eval(), WaveShards(short), batch_size=1, pad_fraction=0.0, device="cpu", windows=WINDOWS)
    assert "while scoring x_short" in caught.value.__notes__

    class NaNDetector(FakeDetector):
        def forward(self, wave, lengths=None):
            out = super().forward(wave, lengths)
            out.energy = torch.full_like(out.energy, float("nan"))
            return out

    with pytest.raises(ScoreError, match="non-finite model output .energy. on u00, u01"):
        run_model(NaNDetector().eval(), WaveShards(shard), batch_size=4, pad_fraction=0.0, device="cpu", windows=WINDOWS)


def test_labels_cannot_influence_scores(shard, tmp_path):
    relabelled = tmp_path / "relabelled"
    relabelled.mkdir()
    (relabelled / "wave.npy").write_bytes((shard / "wave.npy").read_bytes())
    rows = list(csv.DictReader(open(shard / "index.csv")))
    for row in rows:
        row["label"] = "spoof" if row["label"] == "bonafide" else "bonafide"
    write_index(relabelled / "index.csv", rows)
    model = FakeDetector().eval()
    a = run_model(model, WaveShards(shard), 4, "cpu", WINDOWS)
    b = run_model(model, WaveShards(relabelled), 4, "cpu", WINDOWS)
    assert np.array_equal(a.score, b.score)


@pytest.fixture
def fake_checkpoint(monkeypatch):
    def load(directory, device="cpu"):
        return FakeDetector().eval(), {"temperature": TEMPERATURE, "abstain_threshold": 0.0, "train_corpora": ["demo"]}

    monkeypatch.setattr(asnet.checkpoint, "load_checkpoint", load)


@pytest.fixture
def params_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("base: {sample_rate: 16000}\neval: {max_clip_seconds: 30.0, "
                    "window_seconds: 4.0, window_hop_seconds: 2.0}\n")
    return path


def test_score_cli_writes_tsv_export_and_rejects_deterministically(shard, tmp_path, fake_checkpoint, params_file):
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run / "eval.tsv"
        argv = ["score", "--checkpoint", "ckpt", "--shards", str(shard), "--out", str(out), "--params", str(params_file), "--device", "cpu", "--batch-size", "4"]
        assert cli_main(argv) == 0
        outputs.append([(out.parent / name).read_bytes() for name in ("eval.tsv", "eval.asvspoof.txt", "eval.rejects.csv")])
    assert outputs[0] == outputs[1]

    out = tmp_path / "a" / "eval.tsv"
    assert out.read_text().splitlines()[0].split("\t") == SCORE_COLUMNS + GATE_COLUMNS
    table = read_scores(out)
    index = {c.utt_id: c for c in WaveShards(shard).clips}
    assert list(table.label) == [index[u].label for u in table.utt_id]
    assert list(table.system) == [index[u].system for u in table.utt_id]
    np.testing.assert_allclose(table.p_spoof, 1 / (1 + np.exp(table.score / TEMPERATURE)), rtol=1e-7)
    np.testing.assert_allclose(table.gate.sum(1), 1.0, rtol=1e-6)

    export = (tmp_path / "a" / "eval.asvspoof.txt").read_text().splitlines()
    assert [line.split() for line in export] == [[u, f"{s:.9g}"] for u, s in zip(table.utt_id, table.score)]
    rejects = list(csv.DictReader(open(tmp_path / "a" / "eval.rejects.csv")))
    assert sorted(r["utt_id"] for r in rejects) == ["x_empty", "x_silent"]


def test_real_asnet_checkpoint_scores_each_clip_as_alone(shard, tmp_path, params_file):
    from asnet.models import build_model
    from asnet.checkpoint import save_checkpoint
    from asnet.utils import load_params

    model_params = load_params(Path(__file__).parents[2] / "params.yaml")["model"]
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "ckpt", build_model(model_params), {"model": model_params, "stage": "base", "temperature": 1.3})
    out = tmp_path / "eval.tsv"
    argv = ["score", "--checkpoint", str(tmp_path / "ckpt"), "--shards", str(shard), "--out", str(out), "--params", str(params_file), "--device", "cpu"]
    assert cli_main(argv) == 0
    table = read_scores(out)
    assert set(f"u{i:02d}" for i in range(8)) <= set(table.utt_id)

    model, _ = asnet.checkpoint.load_checkpoint(tmp_path / "ckpt")
    waves = WaveShards(shard)
    with torch.inference_mode():
        alone = [model(torch.from_numpy(waves.by_id(u))[None]).score.item() for u in table.utt_id[:4]]
    np.testing.assert_allclose(table.score[:4], alone, rtol=1e-5, atol=1e-6)
