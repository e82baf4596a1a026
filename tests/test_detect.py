"""`asnet detect` on a battery of good and bad files, with a tiny random checkpoint (no data/ needed)."""
import csv
import io
import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

sys.path.insert(0, str(Path(__file__).parent))
from tiny_detector import encode, tiny_checkpoint, tone, voice  # noqa: E402

from asnet.cli import main as cli  # noqa: E402
from asnet.detect import CSV_COLUMNS, RECORD_KEYS, SCHEMA  # noqa: E402

RATE = 16000


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "base")


def twenty_minutes(path):
    """20 min at 16 kHz int16 (38 MB) written in blocks: silence with a 3 s voice every 5 minutes
    (cheap to score: silent windows are skipped, yet every sample is decoded and windowed)."""
    with soundfile.SoundFile(path, "w", RATE, 1, "PCM_16") as f:
        for minute in range(20):
            block = np.zeros(60 * RATE, np.float32)
            if minute % 5 == 0:
                block[RATE : 4 * RATE] = voice(3.0, seed=minute)
            f.write(block)


# name -> expected reason (None = scored)
BATTERY = {
    "zero bytes.wav": "unreadable (LibsndfileError)",
    "header only.wav": "empty",
    "truncated.wav": "too short (0.031 s < 0.25 s)",
    "text.wav": "unreadable (LibsndfileError)",
    "random bytes.wav": "unreadable (LibsndfileError)",
    "nan floats.wav": "non-finite",
    "silence.wav": "silent",
    "ten ms.wav": "too short (0.010 s < 0.25 s)",
    "stereo.wav": None,
    "eight channels.flac": None,
    "8 kHz.wav": None,
    "192 kHz.wav": None,
    "claims 4 GB.wav": None,
    "twenty minutes.wav": None,
    "répétition à l'été.wav": None,
    "voice.mp3": None,
    "voice.m4a": None,
    "voice.webm": None,
    "voice.opus": None,
}


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    root = tmp_path_factory.mktemp("battery")
    one = voice(1.0)
    soundfile.write(root / "good.wav", one, RATE, subtype="PCM_16")
    good = (root / "good.wav").read_bytes()
    (root / "good.wav").unlink()
    (root / "zero bytes.wav").write_bytes(b"")
    (root / "header only.wav").write_bytes(good[:44])
    (root / "truncated.wav").write_bytes(good[:44 + 1000])
    (root / "text.wav").write_text("this is a transcript, not audio\n" * 40)
    (root / "random bytes.wav").write_bytes(np.random.default_rng(0).bytes(40000))
    nan = voice(1.0)
    nan[5000] = np.nan
    soundfile.write(root / "nan floats.wav", nan, RATE, subtype="FLOAT")
    soundfile.write(root / "silence.wav", np.zeros(RATE, np.float32), RATE, subtype="PCM_16")
    soundfile.write(root / "ten ms.wav", voice(0.01), RATE, subtype="PCM_16")
    soundfile.write(root / "stereo.wav", np.stack([voice(1.2, 44100), voice(1.2, 44100, f0=180)], 1), 44100)
    soundfile.write(root / "eight channels.flac", np.tile(voice(1.0, 48000)[:, None], (1, 8)), 48000)
    soundfile.write(root / "8 kHz.wav", voice(1.0, 8000), 8000, subtype="PCM_16")
    soundfile.write(root / "192 kHz.wav", voice(0.8, 192000), 192000, subtype="PCM_24")
    huge = bytearray(good)
    struct.pack_into("<I", huge, 4, 0xFFFFFFF0)  # RIFF size
    struct.pack_into("<I", huge, 40, 0xFFFFFFD0)  # data chunk size: ~4 GB
    (root / "claims 4 GB.wav").write_bytes(bytes(huge))
    twenty_minutes(root / "twenty minutes.wav")
    soundfile.write(root / "répétition à l'été.wav", voice(0.9, 22050, f0=200), 22050)
    soundfile.write(root / "voice.mp3", voice(1.0), RATE)
    encode(root / "voice.m4a", voice(1.0), RATE, "aac", "mp4", RATE)
    encode(root / "voice.webm", voice(1.0), RATE, "libopus", "webm", 48000)
    encode(root / "voice.opus", voice(1.0), RATE, "libopus", "ogg", 48000)
    (root / "notes.txt").write_text("not scored: no audio suffix")
    assert sorted(p.name for p in root.iterdir() if p.suffix != ".txt") == sorted(BATTERY)
    return root


def run(capsys, *argv):
    status = cli(["detect", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def battery_report(battery, checkpoint):
    """One JSON run over the whole battery (cli.main in-process; capsys is function-scoped)."""
    out = battery.parent / "report.json"
    status = cli(["detect", str(battery), "--checkpoint", str(checkpoint), "--json", "--out", str(out)])
    return status, json.loads(out.read_text())


def test_every_file_is_scored_or_rejected_by_name(battery_report, battery):
    status, report = battery_report
    assert status == 1  # some were rejected
    by_name = {Path(r["path"]).name: r for r in report["files"]}
    assert set(by_name) == set(BATTERY)
    for name, reason in BATTERY.items():
        record = by_name[name]
        assert list(record) == RECORD_KEYS
        if reason is None:
            assert record["status"] == "scored" and record["reason"] is None, (name, record["reason"])
            assert record["decision"] in {"bonafide", "spoof", "abstain"}
            assert 0.0 <= record["p_spoof"] <= 1.0 and np.isfinite(record["score"])
        else:
            assert (record["status"], record["reason"]) == ("rejected", reason), name
    assert report["summary"] == {"scored": 11, "rejected": 8, "skipped": [str(battery / "notes.txt")]}


def test_native_format_is_reported(battery_report):
    by_name = {Path(r["path"]).name: r for r in battery_report[1]["files"]}
    stereo, eight, low, high = (by_name[n] for n in ("stereo.wav", "eight channels.flac", "8 kHz.wav", "192 kHz.wav"))
    assert (stereo["sample_rate"], stereo["channels"], stereo["resampled"], stereo["downmixed"]) == (44100, 2, True, True)
    assert (eight["channels"], eight["downmixed"]) == (8, True)
    assert (low["sample_rate"], high["sample_rate"]) == (8000, 192000)
    assert by_name["claims 4 GB.wav"]["duration_s"] == pytest.approx(1.0)
    assert {by_name[n]["decoder"] for n in ("voice.m4a", "voice.webm", "voice.opus", "voice.mp3")} == {"pyav"}
    assert by_name["claims 4 GB.wav"]["decoder"] == by_name["stereo.wav"]["decoder"] == "soundfile"


def test_twenty_minute_file_is_windowed(battery_report):
    record = next(r for r in battery_report[1]["files"] if r["path"].endswith("twenty minutes.wav"))
    windows = record["windows"]
    assert record["duration_s"] == pytest.approx(1200.0)
    assert windows["count"] == 599 and windows["window_seconds"] == 4.0 and windows["hop_seconds"] == 2.0
    assert len(windows["list"]) == windows["count"] - windows["silent"] and 4 <= len(windows["list"]) <= 16
    for w in windows["list"]:  # every scored window overlaps a voiced stretch (minutes 0, 5, 10, 15)
        assert any(w["start_s"] < 60 * m + 4 and w["end_s"] > 60 * m + 1 for m in (0, 5, 10, 15))
    assert record["score"] == pytest.approx(np.mean([w["score"] for w in windows["list"]]), abs=1e-5)


def test_report_header_schema(battery_report, checkpoint):
    report = battery_report[1]
    meta = json.loads((checkpoint / "checkpoint.json").read_text())
    assert report["schema"] == SCHEMA
    assert list(report) == ["schema", "checkpoint", "operating_point", "windows", "summary", "files"]
    assert report["checkpoint"]["path"] == str(checkpoint) and report["checkpoint"]["temperature"] == meta["temperature"]
    assert report["operating_point"]["name"] == "eer" and report["operating_point"]["threshold"] == meta["eer_threshold"]
    assert report["windows"] == {"max_clip_seconds": 30.0, "window_seconds": 4.0, "hop_seconds": 2.0}


def test_long_file_windows_drive_the_decision(tmp_path, checkpoint, capsys):
    wave = np.concatenate([voice(20.0, seed=1), tone(14.0, hz=240), voice(6.0, seed=2)])
    soundfile.write(tmp_path / "long.wav", wave, RATE, subtype="PCM_16")
    status, out, _ = run(capsys, tmp_path / "long.wav", "--checkpoint", checkpoint, "--json")
    record = json.loads(out)["files"][0]
    windows = record["windows"]
    assert status == 0 and record["status"] == "scored"
    assert [w["start_s"] for w in windows["list"]] == [2.0 * k for k in range(19)]  # 40 s: 0, 2, ..., 36
    scores = np.array([w["score"] for w in windows["list"]])
    assert record["score"] == pytest.approx(scores.mean(), abs=1e-5)
    spoof_side = record["score"] <= record["threshold"]
    driving = windows["driving"]
    assert 1 <= len(driving) <= 3 or not ((scores <= record["threshold"]) == spoof_side).any()
    assert all((scores[k] <= record["threshold"]) == spoof_side for k in driving)
    assert list(scores[driving]) == sorted(scores[driving], reverse=not spoof_side)
    assert windows["spoof"] == int((scores <= record["threshold"]).sum())

    from asnet.detect import TorchScorer

    scorer = TorchScorer(checkpoint, "cpu")
    stored = soundfile.read(tmp_path / "long.wav", dtype="float32")[0]
    alone = scorer([stored[int(w["start_s"] * RATE) : int(w["end_s"] * RATE)] for w in windows["list"][:3]])["score"]
    np.testing.assert_allclose(alone, scores[:3], atol=1e-5)


def test_exit_codes_and_usage_errors(tmp_path, checkpoint, capsys, monkeypatch):
    soundfile.write(tmp_path / "a.wav", voice(1.0), RATE)
    assert run(capsys, tmp_path / "a.wav", "--checkpoint", checkpoint)[0] == 0
    status, out, err = run(capsys, tmp_path / "a.wav", tmp_path / "missing.wav", "--checkpoint", checkpoint)
    assert status == 1 and f"rejected {tmp_path / 'missing.wav'}: no such file" in err
    for argv, message in [
        ([tmp_path / "nothing*.wav", "--checkpoint", checkpoint], "no audio file found"),
        ([tmp_path / "a.wav", "--checkpoint", tmp_path], "not a checkpoint directory"),
        ([tmp_path / "a.wav", "--checkpoint", checkpoint, "--operating-point", "far=2"], "bad operating point"),
        ([tmp_path / "a.wav", "--checkpoint", checkpoint, "--window-seconds", "40"], "hop <= window <= max_clip"),
    ]:
        status, out, err = run(capsys, *argv)
        assert status == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err, err
    monkeypatch.chdir(tmp_path)  # no results/models here
    status, _, err = run(capsys, tmp_path / "a.wav")
    assert status == 2 and "run `make demo` first or pass --checkpoint" in err


def test_globs_and_default_checkpoint(tmp_path, checkpoint, capsys, monkeypatch):
    import shutil

    models = tmp_path / "results" / "models" / "asnet_s0"
    shutil.copytree(checkpoint, models / "sam")
    (tmp_path / "in").mkdir()
    for name in ("a.wav", "b.wav", "c.flac"):
        soundfile.write(tmp_path / "in" / name, voice(0.7), RATE)
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "in/*.wav", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and list(rows[0]) == CSV_COLUMNS
    assert [Path(r["path"]).name for r in rows] == ["a.wav", "b.wav"] and all(r["status"] == "scored" for r in rows)
    status, out, _ = run(capsys, "in", "--json")
    assert json.loads(out)["checkpoint"]["path"] == str(Path("results/models/asnet_s0/sam"))


def test_operating_points_move_the_threshold_on_dev_scores(tmp_path, checkpoint, capsys):
    soundfile.write(tmp_path / "a.wav", voice(1.0), RATE)
    points = {}
    for spec in ("eer", "far=0", "far=0.5", "frr=0"):
        status, out, _ = run(capsys, tmp_path / "a.wav", "--checkpoint", checkpoint, "--json", "--operating-point", spec)
        points[spec] = json.loads(out)["operating_point"]
    assert points["far=0"]["dev_far"] == 0.0 and points["frr=0"]["dev_frr"] == 0.0
    assert points["far=0.5"]["dev_far"] == 0.5 and points["far=0.5"]["threshold"] < points["far=0"]["threshold"]
    assert points["eer"]["name"] == "eer" and points["far=0.5"]["name"] == "far=0.5"


def test_table_names_decisions_and_rejects(tmp_path, checkpoint, capsys):
    soundfile.write(tmp_path / "a.wav", voice(1.0), RATE)
    (tmp_path / "b.wav").write_text("nope")
    status, out, err = run(capsys, tmp_path, "--checkpoint", checkpoint)
    assert status == 1 and out.splitlines()[0].split()[:3] == ["file", "decision", "p_spoof"]
    assert "unreadable (LibsndfileError)" in out and "scored 1, rejected 1, skipped 0; operating point eer" in out
    assert err.strip() == f"asnet detect: rejected {tmp_path / 'b.wav'}: unreadable (LibsndfileError)"


def test_bench_detect_measures_a_long_stereo_recording(tmp_path, checkpoint, capsys):
    """`asnet bench detect` writes a 44.1 kHz stereo recording, runs detect on it in a child
    process and reports its windows, speed and peak RSS (the 1-hour figure is the closing note's)."""
    out = tmp_path / "detect.json"
    assert cli(["bench", "detect", "--minutes", "0.75", "--checkpoint", str(checkpoint), "--work-dir", str(tmp_path),
                "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["windows"] == 22  # 45 s > 30 s: windows of 4 s every 2 s (0-40 s), then one ending at 45 s
    assert report["decision"] in {"bonafide", "spoof", "abstain"}
    assert 0 < report["peak_rss_mb"] <= report["goal_peak_rss_mb"] and report["real_time_factor"] > 0
    assert "peak RSS" in capsys.readouterr().out
    assert not list(tmp_path.glob("tmp*/*.wav")), "the recording is removed afterwards"
