"""`asnet bench model`: size and speed of ASNet and of its front-end; prints and writes JSON.

Measured over --repeats timed runs after one warm-up (eval mode, inference_mode); each figure is
the median run, with the best run beside it (`best_*`) and the CPU time the process used
(`cpu_*`, all threads together). On a shared machine wall times carry other jobs' load (the JSON
records the 1-minute load average); CPU time per audio second is the steadier comparison. The
front-end and its reference run alternately, one timed run of each per repeat, so both see the
same load; `frontend_speedup_paired` is the median of the per-repeat ratios.
- parameters;
- the whole model on --batch clips of --seconds s: seconds per batch, clips/s, x real time;
- the front-end alone on the same batch, against a librosa reference that computes the same
  features clip by clip (melspectrogram + log, pyin, rms, zero_crossing_rate, onset_strength,
  reference_phase_plane, reference_peakiness);
- with --paper-inputs: the same for the paper's inputs alone (features `phase_inputs: false`; the
  reference then skips the two phase-aware features too);
- with --device cuda: also forward + backward under bf16 autocast at --train-batch clips.
Goals (issue 3): front-end >= 100x faster than the reference; model >= 500x real time on CPU.
The input is seeded synthetic speech-like audio (harmonics with a moving F0, syllabic envelope,
noise), so every run times the same samples.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from asnet.utils import load_params, write_json

FRONTEND_SPEEDUP_GOAL = 100.0
MODEL_REALTIME_GOAL = 500.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--out", default="results/bench/model.json")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--batch", type=int, default=32, help="clips per eval batch")
    parser.add_argument("--seconds", type=float, default=4.0, help="clip duration")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (after one warm-up)")
    parser.add_argument("--reference-clips", type=int, default=4, help="clips timed through the librosa reference")
    parser.add_argument("--train-batch", type=int, default=256, help="cuda only: batch of the bf16 forward+backward")
    parser.add_argument("--paper-inputs", action="store_true",
                        help="the ablation without the two phase-aware inputs (features phase_inputs: false)")


def synthetic_speech(n_clips: int, n_samples: int, sample_rate: int, seed: int = 0):
    """[n_clips, n_samples] float32 in [-1, 1]: 20 harmonics of an F0 gliding within 90-250 Hz, under a
    4 Hz syllabic envelope, plus white noise 30 dB down, at about -23 dBFS."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / sample_rate
    clips = []
    for _ in range(n_clips):
        f0 = rng.uniform(90, 160) * (1 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.2, 0.8) * t))
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate
        voice = sum(np.sin(k * phase) / k for k in range(1, 21))
        envelope = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 2 * np.pi)), 0, None)
        clip = voice * envelope + 0.03 * rng.standard_normal(n_samples)
        clips.append(clip / np.sqrt(np.mean(clip**2)) * 10 ** (-23 / 20))
    return np.clip(np.stack(clips), -1, 1).astype(np.float32)


def run_times(fn, repeats: int, synchronize=lambda: None) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of `repeats` calls of fn, after one untimed warm-up (allocations, one-off kernels)."""
    fn()
    synchronize()
    times = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        synchronize()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def paired_run_times(fns, repeats: int) -> list[list[tuple[float, float]]]:
    """run_times for several functions, one call of each per repeat (in turn), so that a load
    change on a shared machine hits all of them alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, fn_times in zip(fns, times):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            fn_times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def librosa_reference(wave, features: dict) -> None:
    """The same features as the front-end, the usual way: librosa, one clip at a time (the two
    phase-aware ones unless features' `phase_inputs` is false, as in the front-end)."""
    import librosa
    import numpy as np

    sr, hop, win = features["sample_rate"], features["hop_length"], features["win_length"]
    mel = librosa.feature.melspectrogram(y=wave, sr=sr, n_fft=features["n_fft"], hop_length=hop, win_length=win,
                                         center=True, pad_mode="constant", n_mels=features["n_mels"],
                                         fmin=features["f_min"], fmax=features["f_max"])
    np.log(mel + features["mel_floor"])
    librosa.pyin(wave, fmin=features["f0_min"], fmax=features["f0_max"], sr=sr, frame_length=1024, hop_length=hop)
    librosa.feature.rms(y=wave, frame_length=win, hop_length=hop)
    librosa.feature.zero_crossing_rate(wave, frame_length=win, hop_length=hop)
    librosa.onset.onset_strength(S=librosa.power_to_db(mel), sr=sr)
    if features.get("phase_inputs", True):
        reference_phase_plane(wave, features)
        reference_peakiness(wave, features)


def reference_phase_plane(wave, features: dict):
    """asnet.features.phase in numpy from librosa's STFT angles -> [T, n_mels] (also the tests' oracle)."""
    import librosa
    import numpy as np

    spec = librosa.stft(wave.astype(np.float64), n_fft=features["n_fft"], hop_length=features["hop_length"],
                        win_length=features["win_length"], center=True, pad_mode="constant")
    basis = librosa.filters.mel(sr=features["sample_rate"], n_fft=features["n_fft"], n_mels=features["n_mels"],
                                fmin=features["f_min"], fmax=features["f_max"])
    nominal = 2 * np.pi * features["hop_length"] * np.arange(spec.shape[0])[:, None] / features["n_fft"]
    deviation = np.angle(spec[:, 1:]) - np.angle(spec[:, :-1]) - nominal
    weight = np.abs(spec[:, 1:]) * np.abs(spec[:, :-1])
    plane = (basis @ (weight * np.cos(deviation))) / (basis @ weight + features["mel_floor"])
    return np.pad(plane.T, ((1, 0), (0, 0)))


def reference_peakiness(wave, features: dict):
    """asnet.features.excitation in numpy, frame by frame: autocorrelation LPC (scipy's Toeplitz
    solver), lfilter, log-kurtosis with the same noise floor -> [T] (also the tests' oracle)."""
    import numpy as np
    import scipy.linalg
    import scipy.signal

    win, hop, order = features["win_length"], features["hop_length"], features["lpc_order"]
    floor = 10.0 ** (features["noise_floor_db"] / 10.0)
    window = scipy.signal.get_window("hann", win)
    padded = np.pad(wave.astype(np.float64), (win // 2 + order, win))
    values = []
    for t in range(1 + len(wave) // hop):
        history = padded[t * hop : t * hop + win + order]  # the frame and the `order` samples before it
        frame = history[order:] * window
        r = np.array([frame[: win - k] @ frame[k:] for k in range(order + 1)])
        r[0] += window @ window * floor
        a = np.concatenate([[1.0], scipy.linalg.solve_toeplitz(r[:order], -r[1:])])
        residual = scipy.signal.lfilter(a, [1.0], history)[order:]
        m2, m4 = np.mean(residual**2), np.mean(residual**4)
        values.append(np.log(m4 + 3 * floor**2) - 2 * np.log(m2 + floor))
    return np.array(values)


def throughput(times: list[tuple[float, float]], clips: int, clip_seconds: float) -> dict:
    wall = statistics.median(w for w, _ in times)
    best = min(w for w, _ in times)
    cpu = statistics.median(c for _, c in times)
    audio = clips * clip_seconds
    return {"seconds_per_batch": wall, "clips_per_s": clips / wall, "x_realtime": audio / wall,
            "best_seconds_per_batch": best, "best_x_realtime": audio / best,
            "cpu_seconds_per_batch": cpu, "audio_seconds_per_cpu_second": audio / cpu}


def measure_cpu(model, wave, args) -> dict:
    import torch

    features = model.frontend.params
    reference = wave[: args.reference_clips].numpy()
    with torch.inference_mode():
        model_rt = throughput(run_times(lambda: model(wave), args.repeats), len(wave), args.seconds)
        frontend_times, reference_times = paired_run_times(
            [lambda: model.frontend(wave), lambda: [librosa_reference(w, features) for w in reference]], args.repeats)
    frontend = throughput(frontend_times, len(wave), args.seconds)
    librosa_ = throughput(reference_times, len(reference), args.seconds)
    speedup = frontend["x_realtime"] / librosa_["x_realtime"]
    cpu_speedup = frontend["audio_seconds_per_cpu_second"] / librosa_["audio_seconds_per_cpu_second"]
    clips = len(wave) / len(reference)  # the reference times fewer clips
    paired = statistics.median(r[0] / f[0] * clips for f, r in zip(frontend_times, reference_times))
    return {
        "model_eval": model_rt,
        "frontend": frontend,
        "librosa_reference": {**librosa_, "clips": len(reference)},
        "frontend_speedup_vs_librosa": speedup,
        "frontend_speedup_vs_librosa_cpu_time": cpu_speedup,
        "frontend_speedup_paired": paired,
        "goals": {
            "frontend_speedup": {"goal": FRONTEND_SPEEDUP_GOAL, "measured": speedup, "met": speedup >= FRONTEND_SPEEDUP_GOAL},
            "model_x_realtime": {"goal": MODEL_REALTIME_GOAL, "measured": model_rt["x_realtime"],
                                 "met": model_rt["x_realtime"] >= MODEL_REALTIME_GOAL},
        },
    }


def measure_cuda(model, wave, args) -> dict:
    import torch
    import torch.nn.functional as F

    model, sync = model.cuda(), torch.cuda.synchronize
    eval_wave = wave.cuda()
    with torch.inference_mode(), torch.autocast("cuda", torch.bfloat16):
        eval_times = run_times(lambda: model(eval_wave), args.repeats, sync)
    train_wave = wave.repeat(-(-args.train_batch // len(wave)), 1)[: args.train_batch].cuda()
    labels = torch.arange(args.train_batch, device="cuda") % 2
    model.train()

    def train_step():
        model.zero_grad(set_to_none=True)
        with torch.autocast("cuda", torch.bfloat16):
            out = model(train_wave)
        F.cross_entropy(out.logits, labels).backward()

    torch.cuda.reset_peak_memory_stats()
    train_times = run_times(train_step, args.repeats, sync)
    return {
        "gpu": torch.cuda.get_device_name(),
        "model_eval_bf16": throughput(eval_times, len(wave), args.seconds),
        "train_step_bf16": {**throughput(train_times, args.train_batch, args.seconds), "batch": args.train_batch,
                            "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30},
    }


def main(args: argparse.Namespace) -> int:
    import torch

    from asnet.models import build_model, count_parameters

    params = load_params(args.params)["model"]
    if args.paper_inputs:
        params = {**params, "features": {**params["features"], "phase_inputs": False}}
    torch.manual_seed(0)
    model = build_model(params).eval()
    n_samples = round(args.seconds * params["features"]["sample_rate"])
    wave = torch.from_numpy(synthetic_speech(args.batch, n_samples, params["features"]["sample_rate"]))
    result = {"parameters": count_parameters(model), "batch": args.batch, "clip_seconds": args.seconds,
              "device": args.device, "paper_inputs": args.paper_inputs, "torch": torch.__version__, "cpu_threads": torch.get_num_threads(),
              "load_average_1min": os.getloadavg()[0],
              # libgomp spin-waits by default: on a machine shared with other jobs PASSIVE is much faster
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default")}
    result |= measure_cuda(model, wave, args) if args.device == "cuda" else measure_cpu(model, wave, args)
    write_json(args.out, result)
    print(Path(args.out).read_text(), end="")
    return 0
