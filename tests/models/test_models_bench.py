import argparse
import json

from asnet.models import bench


def test_bench_model_writes_its_numbers(tmp_path):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out = tmp_path / "model.json"
    args = parser.parse_args(["--out", str(out), "--batch", "2", "--seconds", "0.5", "--repeats", "1",
                              "--reference-clips", "1"])
    assert bench.main(args) == 0
    result = json.loads(out.read_text())
    assert 0 < result["parameters"] < 1_000_000
    for part in ("model_eval", "frontend", "librosa_reference"):
        assert result[part]["clips_per_s"] > 0
        assert abs(result[part]["x_realtime"] - result[part]["clips_per_s"] * 0.5) < 1e-3 * result[part]["x_realtime"]
    assert result["goals"]["frontend_speedup"]["measured"] == result["frontend_speedup_vs_librosa"]
    assert result["goals"]["model_x_realtime"]["met"] == (result["model_eval"]["x_realtime"] >= 500)
    # one repeat: the paired ratio is the ratio of the two medians
    assert abs(result["frontend_speedup_paired"] - result["frontend_speedup_vs_librosa"]) < 1e-3 * result["frontend_speedup_paired"]


def test_bench_model_times_the_paper_inputs_ablation(tmp_path, monkeypatch):
    computed = []
    monkeypatch.setattr(bench, "reference_peakiness", lambda wave, features: computed.append("peakiness"))
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out = tmp_path / "model.json"
    args = parser.parse_args(["--out", str(out), "--batch", "1", "--seconds", "0.25", "--repeats", "1",
                              "--reference-clips", "1", "--paper-inputs"])
    assert bench.main(args) == 0
    result = json.loads(out.read_text())
    assert result["paper_inputs"] and computed == []  # nor does the reference compute the phase-aware features


def test_synthetic_speech_is_seeded_and_in_range():
    a, b = bench.synthetic_speech(2, 8000, 16000), bench.synthetic_speech(2, 8000, 16000)
    assert a.shape == (2, 8000) and (a == b).all() and abs(a).max() <= 1
