"""`asnet import aasist`: the vendored published weights become a calibrated checkpoint that
reloads to the same logits; a file that is not the published one is refused by name."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from asnet.checkpoint import DEV_SCORES, load_checkpoint
from asnet.cli import main as cli_main
from asnet.data.shards import ClipInfo, ShardWriter
from asnet.models.baselines.aasist import PUBLISHED
from asnet.models.baselines.published_weights import ImportRefused, load_published, verify
from asnet.train.importer import TRAIN_SYSTEMS

ROOT = Path(__file__).parents[2]
WEIGHTS = PUBLISHED / "AASIST-L.pth"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A dev split of 4 half-second clips (equal lengths, so they share one batch)."""
    rng = np.random.default_rng(0)
    cache = tmp_path_factory.mktemp("cache")
    t = np.arange(8000) / 16000
    with ShardWriter(cache / "dev") as writer:
        for i in range(4):
            bonafide = i % 2 == 0
            wave = 0.2 * np.sin(2 * np.pi * rng.uniform(100, 300) * t) + 0.02 * rng.standard_normal(8000)
            writer.add(ClipInfo(f"dev{i}", 0, 0, "bonafide" if bonafide else "spoof",
                                "bonafide" if bonafide else "tts", "spk"), wave)
    return cache


@pytest.fixture(scope="module")
def imported(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "aasist_l"
    code = cli_main(["import", "aasist", "--weights", str(WEIGHTS), "--variant", "AASIST-L", "--cache", str(cache),
                     "--out", str(out), "--params", str(ROOT / "params.yaml"), "--device", "cpu"])
    assert code == 0
    return out


def test_checkpoint_records_the_source_and_the_calibration(imported):
    model, meta = load_checkpoint(imported)
    assert meta["stage"] == "pretrained" and meta["train_corpora"] == ["asvspoof2019_la"]
    assert meta["train_systems"] == TRAIN_SYSTEMS == ["A01", "A02", "A03", "A04", "A05", "A06"]
    assert meta["source"]["file"] == "AASIST-L.pth" and len(meta["source"]["sha256"]) == 64
    assert meta["model"]["architecture"] == "aasist" and meta["model"]["min_samples"] == 64600
    for key in ("temperature", "abstain_threshold", "eer_threshold", "ood_threshold", "dev"):
        assert meta[key] is not None, key
    assert len((imported / DEV_SCORES).read_text().splitlines()) == 1 + 4


def test_reloaded_checkpoint_holds_the_published_weights_and_gives_their_logits(imported):
    model, _ = load_checkpoint(imported)
    published = load_published(WEIGHTS, "AASIST-L")
    assert model.state_dict().keys() == published.state_dict().keys()
    assert all(torch.equal(v, published.state_dict()[k]) for k, v in model.state_dict().items())
    wave = 0.1 * torch.randn(1, 16000, generator=torch.Generator().manual_seed(0))
    model.min_samples = published.min_samples = 0  # one cheap 1 s forward (repetition is tested with the fixture)
    with torch.no_grad():
        assert torch.equal(model(wave).logits, published(wave).logits)


def test_a_file_that_is_not_published_is_refused_by_name(tmp_path, cache, capsys):
    altered = tmp_path / "AASIST-L.pth"
    shutil.copy(WEIGHTS, altered)
    with open(altered, "ab") as f:
        f.write(b"\0")
    code = cli_main(["import", "aasist", "--weights", str(altered), "--variant", "AASIST-L", "--cache", str(cache),
                     "--out", str(tmp_path / "out"), "--params", str(ROOT / "params.yaml")])
    error = capsys.readouterr().err
    assert code == 2 and error.startswith(f"asnet import: error: refused {altered}: sha256 ")
    assert "not a published AASIST checkpoint" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_other_variants_file_is_refused():
    with pytest.raises(ImportRefused, match="published AASIST-L.pth, not --variant AASIST"):
        verify(WEIGHTS, "AASIST")
