"""A tiny, randomly initialised ASNet checkpoint as `asnet train` writes one (weights, calibration
fitted on a small dev shard, dev_scores.tsv), and speech-like test audio. Shared by the detect,
export and CLI-error tests; nothing here reads data/ or results/."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from asnet.utils import load_params

PARAMS = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
TINY = dict(embed_dim=8, spectral_channels=[4, 4, 4, 4], prosody_channels=4, prosody_dilations=[1, 2],
            attention_dim=4, gate_hidden=4, head_hidden=4, proj_dim=4)


def voice(seconds: float, rate: int = 16000, f0: float = 120.0, seed: int = 0) -> np.ndarray:
    """A gliding harmonic voice with syllable-rate bursts and breath noise, float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(f0 + 0.2 * f0 * np.sin(2 * np.pi * 0.7 * t)) / rate
    harmonics = sum(np.sin(k * phase) / k for k in range(1, 10))
    return (0.08 * harmonics * (0.5 * (1 + np.sin(2 * np.pi * 4 * t))) ** 2
            + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def tone(seconds: float, rate: int = 16000, hz: float = 300.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def encode(path, wave, rate, codec, container, codec_rate=None):
    """Write `wave` with FFmpeg (PyAV) in a format libsndfile cannot open."""
    import av

    codec_rate = codec_rate or rate
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=codec_rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(wave[None], format="flt", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.codec.audio_formats[0].name, layout="mono",
                                      rate=codec_rate)
        for piece in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
    return path


def tiny_checkpoint(directory: Path) -> Path:
    """Write the checkpoint into `directory` (created) and return it."""
    import torch

    from asnet.data.shards import ClipInfo, ShardWriter, WaveShards
    from asnet.models import build_model
    from asnet.checkpoint import save_checkpoint
    from asnet.eval.calibrate import calibrate_on_dev, write_dev_scores

    params = copy.deepcopy(PARAMS)
    config = {**params["model"], **TINY, "architecture": "asnet"}
    torch.manual_seed(0)
    model = build_model(config).eval()
    dev_dir = directory.parent / f"{directory.name}_dev"
    with ShardWriter(dev_dir) as writer:
        for i in range(8):
            bonafide = i % 2 == 0
            wave = voice(0.6 + 0.1 * i, seed=i) if bonafide else tone(0.6 + 0.1 * i, hz=200 + 40 * i)
            writer.add(ClipInfo(f"dev{i}", 0, 0, "bonafide" if bonafide else "spoof",
                                "bonafide" if bonafide else "tts", f"spk{i % 3}"), wave)
    dev = WaveShards(dev_dir)
    calibration, outputs = calibrate_on_dev(model, dev, params, "cpu")
    save_checkpoint(directory, model, {"model": config, "stage": "base", "train_corpora": ["demo"],
                                       "train_systems": ["tts"], **calibration})
    write_dev_scores(directory, outputs[0], dev, calibration["temperature"])
    return directory
