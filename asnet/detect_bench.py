"""`asnet bench detect`: peak memory and speed of `asnet detect` on one long recording.

Writes a synthetic recording of --minutes (44.1 kHz stereo 16-bit WAV by default, as a user's
hour-long file would be: so downmixing and resampling are on the path), written block by block,
then runs `asnet detect --json` on it in a child process and reports wall time, CPU time, real-time
factor and peak RSS (the child's largest process). The goal of issue 14: peak RSS <= 2 GB for a
one-hour file. The audio is asnet.models.bench's synthetic speech, one seeded utterance per 10 s
block (never silent, so the silence rule skips no window).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from asnet.data.bench import measure
from asnet.utils import write_json

BLOCK_SECONDS = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the synthetic recording")
    parser.add_argument("--sample-rate", type=int, default=44100, help="native rate of the file (resampled by detect)")
    parser.add_argument("--channels", type=int, default=2, help="channels of the file (mixed down by detect)")
    parser.add_argument("--checkpoint", default=None, help="checkpoint directory (default: detect's default)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the recording goes (default: a temp dir)")
    parser.add_argument("--out", default="results/bench/detect.json")


def write_recording(path: Path, seconds: float, rate: int, channels: int, seed: int = 0) -> None:
    import soundfile

    from asnet.models.bench import synthetic_speech

    total, block = round(seconds * rate), round(BLOCK_SECONDS * rate)
    with soundfile.SoundFile(path, "w", samplerate=rate, channels=channels, subtype="PCM_16") as f:
        for number, start in enumerate(range(0, total, block)):  # one seeded utterance per block
            (mono,) = synthetic_speech(1, min(block, total - start), rate, seed + number)
            f.write(np.repeat(mono[:, None], channels, axis=1) * np.linspace(1.0, 0.8, channels))


def main(args: argparse.Namespace) -> int:
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
        audio = Path(work) / f"recording_{args.minutes:g}min.wav"
        write_recording(audio, seconds, args.sample_rate, args.channels)
        report_path = Path(work) / "detect.json"
        command = [sys.executable, "-m", "asnet", "detect", str(audio), "--json", "--out", str(report_path)]
        if args.checkpoint:
            command += ["--checkpoint", args.checkpoint]
        env = {**os.environ, "ASNET_NO_PROGRESS": "1"}
        result = measure(command, clips=1, env=env)
        detected = json.loads(report_path.read_text())
        file_mb = audio.stat().st_size / 2**20
    record = detected["files"][0]
    report = {
        "minutes": args.minutes, "sample_rate": args.sample_rate, "channels": args.channels, "file_mb": file_mb,
        "wall_s": result["wall_s"], "cpu_s": result["cpu_s"], "real_time_factor": seconds / result["wall_s"],
        "peak_rss_mb": result["peak_rss_mb"], "goal_peak_rss_mb": 2048,
        "windows": (record.get("windows") or {}).get("count", 0), "decision": record.get("decision"),
    }
    print(f"asnet detect on a {args.minutes:g}-minute {args.sample_rate} Hz {args.channels}-channel WAV ({file_mb:.0f} MB): "
          f"{result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} CPU-s, {report['real_time_factor']:.0f}x real time, "
          f"peak RSS {result['peak_rss_mb']:.0f} MB (goal <= 2048 MB), {report['windows']} windows, "
          f"decision {report['decision']}")
    write_json(args.out, report)
    return 0 if result["peak_rss_mb"] <= report["goal_peak_rss_mb"] else 1
