"""`asnet shift codec|vocoder`: shard output, sidecar, rejects, determinism, manifest input."""
from pathlib import Path

import numpy as np
import pytest

from asnet.cli import main as cli_main
from asnet.data.manifest import read_rejects
from asnet.data.shards import WaveShards
from asnet.shift.codecs import Channel
from asnet.shift.sets import SourceClip, build_codec_set
from asnet.utils import read_json

PARAMS = str(Path(__file__).resolve().parents[2] / "params.yaml")


@pytest.fixture(scope="module")
def eval_shards(tmp_path_factory, speech, make_shards):
    clips = [
        ("a_bona", "bonafide", "bonafide", speech[0]),
        ("b_spoof", "spoof", "tts_x", speech[1][::-1].copy()),
        ("c_bona", "bonafide", "bonafide", speech[2]),
        ("d_silent", "bonafide", "bonafide", np.zeros(4000, np.float32)),
        ("e_empty", "spoof", "tts_x", np.zeros(0, np.float32)),
    ]
    return make_shards(tmp_path_factory.mktemp("cache") / "eval", clips)


@pytest.fixture(scope="module")
def telephony_set(eval_shards, tmp_path_factory):
    out = tmp_path_factory.mktemp("shift") / "telephony"
    assert cli_main(["shift", "codec", "--name", "telephony", "--shards", str(eval_shards), "--out", str(out),
                     "--params", PARAMS]) == 0
    return out


def test_codec_set_keeps_every_usable_clip_aligned_and_labelled(eval_shards, telephony_set):
    clean, shifted = WaveShards(eval_shards), WaveShards(telephony_set)
    assert [c.utt_id for c in shifted.clips] == ["a_bona", "b_spoof", "c_bona"]
    for clip in shifted.clips:
        source = clean.clips[clean.position[clip.utt_id]]
        assert (clip.length, clip.label, clip.system, clip.speaker) == (source.length, source.label, source.system, source.speaker)
        assert not np.array_equal(shifted.by_id(clip.utt_id), clean.by_id(clip.utt_id))


def test_sidecar_records_condition_versions_and_distortion(telephony_set):
    sidecar = read_json(telephony_set / "shift.json")
    assert sidecar["kind"] == "codec" and sidecar["name"] == "telephony"
    assert sidecar["settings"]["codec"] == "pcm_mulaw" and sidecar["settings"]["band"] == [300, 3400]
    assert (sidecar["clips_in"], sidecar["clips_out"], sidecar["rejected"]) == (5, 3, 2)
    assert {"av", "libavcodec", "soundfile", "libsndfile"} <= set(sidecar["versions"])
    assert sidecar["delay_samples"] == 0
    assert 60000 < sidecar["bitrate_measured_bps"] < 80000  # 8 kHz x 8-bit mu-law + WAV header
    snr = sidecar["quality"]["snr_db"]
    assert snr["min"] <= snr["median"] <= snr["max"] < 30
    assert sidecar["quality"]["lsd_db"]["mean"] > 0


def test_unusable_clips_are_rejected_by_name(telephony_set):
    rejects = {r["utt_id"]: r["reason"] for r in read_rejects(telephony_set / "rejects.csv")}
    assert rejects == {"d_silent": "input silent", "e_empty": "input empty"}


def test_a_clip_that_breaks_the_codec_is_skipped_and_the_set_completes(tmp_path, speech, params):
    clips = [
        SourceClip("good", "bonafide", "bonafide", "s", speech[0]),
        SourceClip("nan", "spoof", "x", "s", np.full(1600, np.nan, np.float32)),
        SourceClip("too_short", "spoof", "x", "s", np.full(10, 0.1, np.float32)),  # shorter than the band filter
        SourceClip("broken", "spoof", "x", "s", None, "unreadable"),
    ]
    report = build_codec_set(clips, Channel.from_params(params["shift"]["codecs"]["telephony"]), tmp_path, 16000)
    assert (report["clips_in"], report["clips_out"], report["rejected"]) == (4, 1, 3)
    rejects = {r["utt_id"]: r["reason"] for r in read_rejects(tmp_path / "rejects.csv")}
    assert rejects["nan"] == "input non-finite" and rejects["broken"] == "unreadable"
    assert rejects["too_short"].startswith("ValueError")
    assert WaveShards(tmp_path).clips[0].utt_id == "good"


def test_a_misconfigured_channel_fails_before_any_clip(tmp_path, speech):
    clips = [SourceClip("good", "bonafide", "bonafide", "s", speech[0])]
    broken = Channel.from_params({"library": "pyav", "codec": "mp3", "container": "no_such_format"})
    with pytest.raises(ValueError, match="no_such_format"):
        build_codec_set(clips, broken, tmp_path, 16000)


def test_codec_sets_are_byte_identical_across_runs(eval_shards, telephony_set, tmp_path):
    again = tmp_path / "again"
    cli_main(["shift", "codec", "--name", "telephony", "--shards", str(eval_shards), "--out", str(again), "--params", PARAMS])
    for name in ("wave.npy", "index.csv", "rejects.csv", "shift.json"):
        assert (again / name).read_bytes() == (telephony_set / name).read_bytes(), name


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, speech, make_corpus):
    """A tiny corpus: eval b1 (bona fide), b2 (corrupt file), s1 (spoof); train t1."""
    root = tmp_path_factory.mktemp("corpus")
    manifest = make_corpus(root, [
        ("b1", "bonafide", "bonafide", speech[0], "eval"),
        ("b2", "bonafide", "bonafide", speech[1], "eval"),
        ("s1", "spoof", "tts_x", speech[2], "eval"),
        ("t1", "bonafide", "bonafide", speech[2], "train"),
    ])
    (root / "b2.wav").write_bytes(b"RIFF not really a wav")
    return manifest


@pytest.fixture(scope="module")
def lpc_set(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("shift") / "lpc"
    assert cli_main(["shift", "vocoder", "--name", "lpc_24", "--manifest", str(corpus), "--out", str(out),
                     "--params", PARAMS]) == 0
    return out


def test_vocoder_set_keeps_bonafide_and_adds_labelled_copies(lpc_set, speech):
    shifted = WaveShards(lpc_set)
    assert [(c.utt_id, c.label, c.system) for c in shifted.clips] == [
        ("b1", "bonafide", "bonafide"), ("b1-lpc_24", "spoof", "lpc_24")]
    assert shifted.clips[0].length == shifted.clips[1].length == len(speech[0])
    rejects = read_rejects(lpc_set / "rejects.csv")
    assert [r["utt_id"] for r in rejects] == ["b2"] and rejects[0]["reason"].startswith("unreadable")
    sidecar = read_json(lpc_set / "shift.json")
    assert sidecar["kind"] == "vocoder" and sidecar["seed"] == 0 and "pyworld" in sidecar["versions"]
    assert sidecar["conditions"] == [["vocoder", "lpc", [["order", 24]]]]
    assert (sidecar["clips_in"], sidecar["clips_out"], sidecar["rejected"]) == (2, 2, 1)


def test_a_manifest_and_its_cache_give_the_same_set(corpus, lpc_set, tmp_path):
    from asnet.data.cache import write_wave_shards
    from asnet.data.manifest import read_manifest

    eval_rows = [r for r in read_manifest(corpus) if r.split == "eval"]
    write_wave_shards(eval_rows, corpus.parent, tmp_path / "cache", 16000, workers=1)
    cli_main(["shift", "vocoder", "--name", "lpc_24", "--shards", str(tmp_path / "cache"), "--out", str(tmp_path / "lpc"),
              "--params", PARAMS])
    for name in ("wave.npy", "index.csv"):
        assert (tmp_path / "lpc" / name).read_bytes() == (lpc_set / name).read_bytes(), name


def test_unknown_condition_names_the_choices(eval_shards, tmp_path):
    with pytest.raises(SystemExit, match="mp3_16k"):
        cli_main(["shift", "codec", "--name", "mp3_8k", "--shards", str(eval_shards), "--out", str(tmp_path),
                  "--params", PARAMS])


def test_per_system_subset_keeps_every_system_in_order():
    from types import SimpleNamespace

    from asnet.data.shards import per_system_subset

    clips = [SimpleNamespace(utt_id=f"u{i}", system=s) for i, s in enumerate("aabbbbcbba")]
    picked = per_system_subset(clips, 2, seed=0)
    assert [c.system for c in picked].count("b") == 2 and {c.system for c in picked} == {"a", "b", "c"}
    assert [int(c.utt_id[1:]) for c in picked] == sorted(int(c.utt_id[1:]) for c in picked)
    assert per_system_subset(clips, 2, seed=0) == picked and per_system_subset(clips, 99, seed=0) == clips
