"""`asnet bench prepare`: time and memory of preparing and caching a corpus of N short clips.

    asnet bench prepare [--clips 10000] [--seconds 0.2] [--workers 2] [--work-dir DIR] [--out results/bench/prepare.json]

A synthetic corpus in the ASVspoof 2019 LA layout (N FLAC clips of --seconds at 16 kHz, official
protocol files, 60/20/20 split, 10 % bona fide) is written to --work-dir and marked as extracted
by hand; then each step runs in its own process, exactly as the pipeline runs it:
  prepare         `asnet prepare asvspoof2019_la` (hash + header of every file -> manifest)
  cache_waves     asnet.data.cache.write_wave_shards for every split (decode -> wave.npy)
(= `asnet cache`). For each step: wall time, CPU time (its processes and
their workers: less sensitive than wall time to a busy machine), clips/s, the peak RSS of
its largest process (os.wait4: the step's process or one of its workers) and the peak of the
summed RSS of its process tree (sampled every 0.2 s from /proc; shared pages are counted once
per process, so it is an upper bound). Peak RSS flat in N and time linear in N is the goal.
Prints a table and writes the JSON; the work dir is deleted unless --keep.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, load_params, write_json

CORPUS = "asvspoof2019_la"
TEMPLATES = 64  # distinct clips, written round-robin (encoding every clip would dominate the set-up)
PAGE = os.sysconf("SC_PAGE_SIZE")
CACHE_STEP = """
import sys
from pathlib import Path
from asnet.data.manifest import read_manifest
from asnet.utils import load_params
from asnet.data.cache import SPLITS, write_wave_shards
manifest, out, params_path, workers = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
params = load_params(params_path)
rows = read_manifest(manifest)
for split in SPLITS:
    write_wave_shards(sorted((r for r in rows if r.split == split), key=lambda r: r.utt_id), manifest.parent,
                      out / split, params["base"]["sample_rate"], workers)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clips", type=int, default=10_000, help="clips in the synthetic corpus")
    parser.add_argument("--seconds", type=float, default=0.2, help="duration of every clip")
    parser.add_argument("--workers", type=int, default=2, help="processes of prepare and of the waveform cache")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/asnet-bench-prepare"))
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="base comes from here")
    parser.add_argument("--out", default="results/bench/prepare.json")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (corpus, manifest, shards)")


# ---------------------------------------------------------------- the synthetic corpus
def _templates(seconds: float, rate: int = 16000) -> list[bytes]:
    import numpy as np
    import soundfile

    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    clips = []
    for i in range(TEMPLATES):
        wave = 0.3 * np.sin(2 * np.pi * (100 + 7 * i) * t) + 0.02 * rng.standard_normal(t.size)
        buffer = io.BytesIO()
        soundfile.write(buffer, wave.astype(np.float32), rate, format="FLAC", subtype="PCM_16")
        clips.append(buffer.getvalue())
    return clips


def synthetic_corpus(raw: Path, clips: int, seconds: float) -> None:
    """An ASVspoof 2019 LA layout with `clips` files, marked as a complete download."""
    from asnet.data.corpora import CORPORA
    from asnet.data.download import adopt_extracted

    templates = _templates(seconds)
    root = raw / "LA"
    prefix = {"train": "T", "dev": "D", "eval": "E"}
    attacks = {"train": [f"A{i:02d}" for i in range(1, 7)], "dev": [f"A{i:02d}" for i in range(1, 7)],
               "eval": [f"A{i:02d}" for i in range(7, 20)]}
    protocols = {split: [] for split in prefix}
    for split in prefix:
        (root / f"ASVspoof2019_LA_{split}" / "flac").mkdir(parents=True, exist_ok=True)
    for i in range(clips):
        split = "train" if i % 10 < 6 else "dev" if i % 10 < 8 else "eval"
        utt = f"LA_{prefix[split]}_{i:07d}"
        bonafide = (i // 10) % 10 == 0  # 10 % bona fide in every split
        system = "-" if bonafide else attacks[split][i % len(attacks[split])]
        protocols[split].append(f"LA_{i % 97:04d} {utt} - {system} {'bonafide' if bonafide else 'spoof'}\n")
        (root / f"ASVspoof2019_LA_{split}" / "flac" / f"{utt}.flac").write_bytes(templates[i % TEMPLATES])
    names = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}
    (root / "ASVspoof2019_LA_cm_protocols").mkdir()
    for split, lines in protocols.items():
        (root / "ASVspoof2019_LA_cm_protocols" / f"ASVspoof2019.LA.cm.{names[split]}.txt").write_text("".join(lines))
    (root / "ASVspoof2019_LA_asv_scores").mkdir(exist_ok=True)
    for split in ("dev", "eval"):
        (root / "ASVspoof2019_LA_asv_scores" / f"ASVspoof2019.LA.asv.{split}.gi.trl.scores.txt").write_text(
            "bonafide target 2.0\nbonafide target 1.0\nbonafide nontarget -1.0\nA07 spoof 0.5\n")
    adopt_extracted(CORPORA[CORPUS], raw)


# ---------------------------------------------------------------- measuring a step
def _tree_rss(root_pid: int) -> int:
    """Summed resident bytes of root_pid and all its descendants, from /proc."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        children = [pid for pid, ppid in parent.items() if ppid in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(command: list[str], clips: int, env: dict) -> dict:
    """Run one step in a child process: wall time, clips/s, peak RSS (largest process), peak tree RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    peak_tree, done = 0, threading.Event()

    def sample():
        nonlocal peak_tree
        while not done.wait(0.2):
            peak_tree = max(peak_tree, _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed with exit code {process.returncode}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "clips_per_s": clips / wall,
            "peak_rss_mb": usage.ru_maxrss / 1024, "peak_tree_rss_mb": peak_tree / 2**20}


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main(args: argparse.Namespace) -> int:
    import yaml

    work = args.work_dir
    shutil.rmtree(work, ignore_errors=True)
    raw, prepared, cache = work / "raw" / CORPUS, work / "prepared" / CORPUS, work / "cache" / CORPUS
    params = load_params(args.params)
    params[f"prepare_{CORPUS}"] = {}
    work.mkdir(parents=True)
    bench_params = work / "params.yaml"
    bench_params.write_text(yaml.safe_dump(params))
    start = time.perf_counter()
    synthetic_corpus(raw, args.clips, args.seconds)
    generate_s = time.perf_counter() - start
    env = {**os.environ, "ASNET_NO_PROGRESS": "1"}
    python = sys.executable
    steps = {
        "prepare": [python, "-m", "asnet", "prepare", CORPUS, "--raw", str(raw), "--out", str(prepared),
                    "--params", str(bench_params), "--workers", str(args.workers)],
        "cache_waves": [python, "-c", CACHE_STEP, str(prepared / "manifest.csv"), str(cache), str(bench_params),
                        str(args.workers)],
    }
    results = {name: measure(command, args.clips, env) for name, command in steps.items()}
    report = {"clips": args.clips, "seconds_per_clip": args.seconds, "workers": args.workers,
              "generate_s": generate_s, "steps": results,
              "disk_mb": {"raw": _disk_mb(raw), "prepared": _disk_mb(prepared), "cache": _disk_mb(cache)}}
    print(f"{args.clips} clips of {args.seconds} s, {args.workers} workers (corpus written in {generate_s:.1f} s)")
    print(f"{'step':<16}{'wall s':>9}{'CPU s':>9}{'clips/s':>10}{'peak RSS MB':>13}{'tree RSS MB':>13}")
    for name, r in results.items():
        print(f"{name:<16}{r['wall_s']:>9.1f}{r['cpu_s']:>9.1f}{r['clips_per_s']:>10.0f}{r['peak_rss_mb']:>13.0f}"
              f"{r['peak_tree_rss_mb']:>13.0f}")
    write_json(args.out, report)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0
