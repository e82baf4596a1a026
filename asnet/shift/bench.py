"""`asnet bench shift`: throughput of every shift condition, in process (no subprocess per clip).

    asnet bench shift [--shards data/cache/demo/eval] [--clips 16] [--out results/bench/shift.json]

For each eval codec, eval vocoder and pool transform (pools on base.clip_seconds crops, as in
training): one untimed clip first (imports, delay measurement, numba caches), then `--clips`
timed ones. Reports clips/s and x-realtime. For contrast, the mp3_16k round trip is also timed
the way a per-clip external tool would run it (a fresh process per clip, with `ffmpeg` when it
is installed, else a fresh Python running the same PyAV code): the in-process path avoids that
start-up cost by design. Prints a table and writes the JSON.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from asnet.utils import DEFAULT_PARAMS, load_params, write_json

BASELINE_CODEC = "mp3_16k"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shards", default="data/cache/demo/eval", help="clips to process (synthetic when absent)")
    parser.add_argument("--clips", type=int, default=16, help="timed clips per condition")
    parser.add_argument("--seed", type=int, default=0, help="seeds the clip draw and the random parts of the conditions")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--out", default="results/bench/shift.json")


def bench_clips(shards: str, count: int, seed: int) -> tuple[list[np.ndarray], str]:
    """`count` + 1 clips from the shard dir, or synthetic 3 s voices when it does not exist."""
    if (Path(shards) / "index.csv").exists():
        from asnet.data.shards import WaveShards

        source = WaveShards(shards)
        return [source[i % len(source)] for i in range(count + 1)], shards
    rng = np.random.default_rng(seed)
    t = np.arange(3 * 16000) / 16000
    clips = []
    for _ in range(count + 1):
        phase = 2 * np.pi * np.cumsum(rng.uniform(90, 220) * (1 + 0.05 * np.sin(2 * np.pi * 4 * t))) / 16000
        voice = sum(np.sin(k * phase) / k for k in range(1, 30)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
        clips.append((0.05 * voice + 0.002 * rng.standard_normal(len(t))).astype(np.float32))
    return clips, "synthetic"


def time_condition(run, clips: list[np.ndarray], sample_rate: int) -> dict:
    run(clips[0])
    start = time.perf_counter()
    for clip in clips[1:]:
        run(clip)
    elapsed = time.perf_counter() - start
    audio_seconds = sum(len(c) for c in clips[1:]) / sample_rate
    return {"clips_per_s": (len(clips) - 1) / elapsed, "x_realtime": audio_seconds / elapsed}


def time_subprocess_per_clip(settings: dict, clips: list[np.ndarray], sample_rate: int) -> dict:
    """The same round trip with one external process per clip (how a CLI-tool pipeline runs)."""
    if shutil.which("ffmpeg"):
        encode = ["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
                  "-c:a", "libmp3lame", "-b:a", str(settings["bitrate"]), "-f", "mp3", "pipe:1"]
        decode = ["ffmpeg", "-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "f32le", "-ar", str(sample_rate),
                  "-ac", "1", "pipe:1"]

        def run(clip):
            encoded = subprocess.run(encode, input=clip.tobytes(), capture_output=True, check=True).stdout
            subprocess.run(decode, input=encoded, capture_output=True, check=True)

        tool = "ffmpeg CLI (encode + decode processes)"
    else:
        script = (
            "import sys, numpy as np; from asnet.shift.codecs import Channel; "
            f"w = np.frombuffer(sys.stdin.buffer.read(), np.float32); "
            f"sys.stdout.buffer.write(Channel.from_params({settings!r})(w, {sample_rate}).tobytes())"
        )

        def run(clip):
            subprocess.run([sys.executable, "-c", script], input=clip.tobytes(), capture_output=True, check=True)

        tool = "fresh Python process running the PyAV round trip"
    return {**time_condition(run, clips, sample_rate), "tool": tool}


def main(args: argparse.Namespace) -> int:
    from asnet.shift import pools
    from asnet.shift.codecs import Channel
    from asnet.shift.vocoders import make_vocoder

    params = load_params(args.params)
    shift, sample_rate = params["shift"], params["base"]["sample_rate"]
    clips, source = bench_clips(args.shards, args.clips, args.seed)
    crop = int(params["base"]["clip_seconds"] * sample_rate)
    crops = [np.resize(c, crop) for c in clips]  # training crops: tiled to the crop length
    rng = np.random.default_rng(args.seed)
    runs = {f"codec/{n}": (lambda c, ch=Channel.from_params(s): ch(c, sample_rate), clips)
            for n, s in shift["codecs"].items()}
    runs |= {f"vocoder/{n}": (lambda c, v=make_vocoder(s): v(c, sample_rate, rng), clips)
             for n, s in shift["vocoders"].items()}
    pool = {**pools.pseudo_outliers(params), **pools.train_shifts(params), **pools.augmentations(params)}
    runs |= {f"pool/{n}": (lambda c, t=t: t(c, rng), crops) for n, t in pool.items()}
    results = {}
    for name, (run, inputs) in runs.items():
        results[name] = time_condition(run, inputs, sample_rate)
        print(f"{name:28s} {results[name]['clips_per_s']:9.1f} clips/s {results[name]['x_realtime']:9.1f} x realtime")
    baseline = time_subprocess_per_clip(shift["codecs"][BASELINE_CODEC], clips[: min(len(clips), 5)], sample_rate)
    baseline["in_process_speedup"] = results[f"codec/{BASELINE_CODEC}"]["clips_per_s"] / baseline["clips_per_s"]
    print(f"{BASELINE_CODEC} via {baseline['tool']}: {baseline['clips_per_s']:.1f} clips/s "
          f"(in process is {baseline['in_process_speedup']:.1f}x faster)")
    clip_seconds = float(np.mean([len(c) for c in clips[1:]]) / sample_rate)
    write_json(args.out, {"source": source, "clips": args.clips, "mean_clip_seconds": clip_seconds,
                          "crop_seconds": crop / sample_rate, "conditions": results,
                          f"subprocess_per_clip/{BASELINE_CODEC}": baseline})
    print(f"wrote {args.out}")
    return 0
