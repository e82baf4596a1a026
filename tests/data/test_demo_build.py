"""End-to-end demo builds on the real Debian recordings and engines (skipped where they are absent)."""
import hashlib
import io
import shutil
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile

from asnet.cli import main as asnet_main
from asnet.data.demo import build
from asnet.data.demo.sources import KTUBERLING_ROOT, POCKETSPHINX_ROOT, Source
from asnet.data.demo.systems import SYSTEMS
from asnet.data.manifest import COLUMNS, read_manifest
from asnet.data.packed import clip_bytes

pytestmark = pytest.mark.skipif(
    not (KTUBERLING_ROOT.is_dir() and POCKETSPHINX_ROOT.is_dir())
    or not all(shutil.which(tool) for tool in ("espeak-ng", "flite", "festival")),
    reason="needs the Debian demo packages (make setup)",
)
TINY = [  # five languages, one recording each: stereo ogg, 8 kHz wav, opus, 16 kHz wav, raw
    ("kt-de-nose", "ktuberling", "de/nose.ogg", "de", "nose"),
    ("kt-es-nariz", "ktuberling", "es/nariz.wav", "es", "nariz"),
    ("kt-nn-ball", "ktuberling", "nn/ball.opus", "nn", "ball"),
    ("ps-cards-001", "pocketsphinx", "cards/001.wav", "en", "ten of clubs"),
    ("kt-fr-nez", "ktuberling", "fr/nez.wav", "fr", "nez"),
]


def tiny_sources() -> list[Source]:
    roots = {"ktuberling": KTUBERLING_ROOT, "pocketsphinx": POCKETSPHINX_ROOT}
    return [Source(sid, str(roots[pkg] / rel), f"spk-{lang}", lang, text) for sid, pkg, rel, lang, text in TINY]


@pytest.fixture(scope="module")
def tiny_builds(tmp_path_factory):
    """The same tiny corpus built with 1 and with 2 workers."""
    from asnet.utils import load_params

    params = load_params(Path(__file__).resolve().parents[2] / "params.yaml")
    out = {}
    for workers in (1, 2):
        out[workers] = tmp_path_factory.mktemp(f"tiny{workers}")
        every_system = {split: len(SYSTEMS) for split in ("train", "dev", "eval")}  # each engine on these few recordings
        settings = build.DemoSettings.from_params(params, workers=workers, spoofs_per_recording=every_system)
        build.build_demo(out[workers], settings, tiny_sources())
    return out


@pytest.fixture(scope="module")
def smoke(tmp_path_factory, monkeypatch_module):
    """`asnet prepare demo --size smoke` exactly as the pipeline runs it."""
    monkeypatch_module.chdir(Path(__file__).resolve().parents[2])
    out = tmp_path_factory.mktemp("smoke")
    assert asnet_main(["prepare", "demo", "--size", "smoke", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_same_seed_gives_byte_identical_corpus_whatever_the_worker_count(tiny_builds):
    archives = sorted(p.relative_to(tiny_builds[1]) for p in (tiny_builds[1] / "audio").iterdir())
    for name in ("manifest.csv", "rejects.csv", "stats.json", *archives):
        assert (tiny_builds[1] / name).read_bytes() == (tiny_builds[2] / name).read_bytes()
    rows = read_manifest(tiny_builds[1] / "manifest.csv")
    assert {r.system for r in rows} == {"bonafide", *SYSTEMS}  # every engine worked on this machine


def test_spoofs_last_as_long_as_their_bona_fide(tiny_builds):
    rows = read_manifest(tiny_builds[1] / "manifest.csv")
    bona_fide = {r.utt_id: r.duration_s for r in rows if r.label == "bonafide"}
    ratios = [r.duration_s / bona_fide[r.utt_id.split("__")[0]] for r in rows if r.label == "spoof"]
    assert 0.9 < np.median(ratios) < 1.1 and min(ratios) > 0.6 and max(ratios) < 1.5


def test_every_clip_is_conditioned_16k_pcm(tiny_builds):
    manifest = tiny_builds[1] / "manifest.csv"
    for row in read_manifest(manifest):
        with soundfile.SoundFile(io.BytesIO(clip_bytes(row.audio_path(manifest)))) as clip:
            assert (clip.samplerate, clip.channels, clip.subtype) == (16000, 1, "PCM_16")
            wave = clip.read(dtype="float64")
        assert row.duration_s == pytest.approx(len(wave) / 16000, abs=1e-4)
        assert np.abs(wave).max() <= 10 ** (-1 / 20) + 1e-4  # peak-safe
        rms_db = 20 * np.log10(np.sqrt(np.mean(wave**2)))
        peak_limited = np.abs(wave).max() == pytest.approx(10 ** (-1 / 20), abs=1e-4)
        assert rms_db == pytest.approx(-23, abs=0.05) or (peak_limited and rms_db < -23)
        assert abs(wave.mean()) < 0.05 * 10 ** (rms_db / 20)  # high-passed: no DC offset


def test_smoke_meets_the_acceptance_criteria(smoke):
    text = (smoke / "manifest.csv").read_text()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = read_manifest(smoke / "manifest.csv")
    assert len(rows) <= 200
    splits_of = defaultdict(set)
    for row in rows:
        splits_of[("system", row.system)].add(row.split)
        splits_of[("speaker", row.speaker)].add(row.split)
        splits_of[("language", row.language)].add(row.split)
        assert hashlib.sha256(clip_bytes(smoke / row.path)).hexdigest() == row.sha256
    spoof_systems = {r.system for r in rows} - {"bonafide"}
    assert spoof_systems == set(SYSTEMS) and len(spoof_systems) >= 8
    unseen = {s for s in spoof_systems if splits_of[("system", s)] == {"eval"}}
    assert unseen == {"festival_hts_slt", "kokoro_ja", "lpc", "world_vc"}
    assert all(splits_of[("system", s)] == {"train", "dev", "eval"} for s in spoof_systems - unseen)
    assert all(len(found) == 1 for (key, _), found in splits_of.items() if key in ("speaker", "language"))
    # one archive per split, members in utt_id order, nothing else (no staging left behind)
    assert sorted(p.name for p in (smoke / "audio").iterdir()) == ["dev.zip", "eval.zip", "train.zip"]
    assert not list(smoke.glob(".clips-*"))
    for split in ("train", "dev", "eval"):
        members = zipfile.ZipFile(smoke / "audio" / f"{split}.zip").namelist()
        assert members == sorted(f"{r.utt_id}.wav" for r in rows if r.split == split)
