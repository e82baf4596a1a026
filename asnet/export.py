"""`asnet export --checkpoint DIR --format onnx --out FILE`: a checkpoint's whole deployed pipeline
as one ONNX graph, front-end included, for onnxruntime (`asnet detect --onnx FILE`) or any ONNX
runtime, with no torch and no asnet code.

    input   wave     float32 [1, N]  16 kHz mono in [-1, 1], any length N (dynamic axis)
    outputs logits   float32 [1, 2]  index 1 = bona fide
            score    float32 [1]     logit_bona - logit_spoof (higher = bona fide)
            energy   float32 [1]     free energy (higher = less familiar; OOD flag above ood_threshold)
            abstain  float32 [1]     abstention logit (abstain above abstain_threshold)
            gate     float32 [1, 2]  fusion weights (ASNet only)

Inside the graph: the STFT (ONNX DFT over frames, opset 20), power and log-mel, the phase plane,
the YIN pitch tracker (FFT difference function as DFT, CMNDF, first-dip lag choice, parabolic
refinement), RMS, ZCR, flux, the LP-residual peakiness, the per-utterance normalisation, both
encoders, the energy gate and the heads. ONNX expresses all of it, so no part needs TorchScript;
the one op without an ONNX counterpart (a bool tensor viewed as uint8 bytes in the pitch tracker's
first-dip search) is translated as the cast it equals (`_bool_bytes_as_uint8`).

The batch axis is fixed at 1: on CPU the front-end walks its batch in `cpu_chunk` slices with a
Python loop, which tracing unrolls for the batch size it sees. `asnet detect` scores one clip or
window per call anyway.

The model's metadata (`metadata_props`) carries what a user of the graph needs besides weights:
    asnet.checkpoint    checkpoint.json verbatim (config, stage, temperature, thresholds, corpora)
    asnet.dev_scores    {"bonafide": [...], "spoof": [...]}: the dev scores, for --operating-point
    asnet.outputs       the output names above, in order
Before anything is written, onnxruntime runs the graph on two speech-like probe clips of
different lengths and its outputs must equal torch's within `TOLERANCE`; an export that does not
is refused.

Known difference (the pitch tracker's, not the export's): on an unvoiced frame YIN takes the
global minimum of a nearly flat difference function, and which lag wins there is float rounding,
so torch's FFT and onnxruntime's DFT can pick different lags (log-F0 of that frame differs; every
other feature agrees to ~3e-5). Measured with the demo base checkpoint on 305 demo eval clips:
the largest output difference is below 1e-4 on 87 % of clips, below 1e-3 on 98 %, at most 0.043
(score units, whose EER threshold was -2.7); 20 of 28,010 frames differ. Deterministic F0 on
aperiodic frames in asnet.features.pitch would remove it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from asnet.utils import atomic_path

OPSET = 20
TOLERANCE = 1e-4
OUTPUTS = ("logits", "score", "energy", "abstain", "gate")
PROBE_SECONDS = (1.0, 2.3)  # two lengths, so a graph that only works at the traced length fails
# OPTIMIZER: the exporter's graph optimizer (onnxscript 0.7.2) deletes `x + c` when c is merely
# close to 0: it turned the peakiness channel's log(m4 + 3e-14) into log(m4), off by up to 0.97
# on silent frames. The graph is therefore saved unoptimised; onnxruntime still applies its own
# (exact) graph optimisations when it loads the model.


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory (model.safetensors + checkpoint.json)")
    parser.add_argument("--format", default="onnx", choices=["onnx"], help="export format (ONNX opset %d)" % OPSET)
    parser.add_argument("--out", required=True, help="the .onnx file to write")


def probe_clip(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """A deterministic voiced clip: a gliding harmonic voice with a syllable-rate level swing and
    breath noise, so the STFT, the pitch tracker, the voicing and the LP filter all have work.

    Every frame is voiced on purpose. On an aperiodic frame (a pause, noise below the floor,
    digital silence) YIN falls back to the global minimum of a nearly flat difference function,
    and which lag wins is float rounding, different between any two FFT implementations (pocketfft
    in torch, onnxruntime's DFT): log-F0 of such frames differs, by design of the tracker, not of
    the export. The probe checks the translation; tests/test_export.py checks real recordings."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    f0 = 110 + 25 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    level = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
    return (0.08 * voice * level + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


class ExportRefused(RuntimeError):
    """onnxruntime's outputs differ from torch's beyond TOLERANCE: the graph is not written."""


def traceable(model):
    """`model` wrapped so that its forward returns a tuple of the OUTPUTS it produces (the
    exporter traces tensors, not dataclasses) -> (module, output names)."""
    import torch

    with torch.inference_mode():
        probe = model(torch.zeros(1, 3200))
    names = [name for name in OUTPUTS if getattr(probe, name) is not None]

    class Outputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, wave):
            out = self.inner(wave)
            return tuple(getattr(out, name) for name in names)

    return Outputs().eval(), names


def _bool_bytes_as_uint8(self, dtype):
    """ONNX translation of aten.view.dtype, a reinterpretation of bits that ONNX has no op for, in
    the one case the front-end uses it (the pitch tracker's first-dip search): bool viewed as
    uint8 equals the cast to uint8, both storing 0 and 1 in a byte. Any other use is refused."""
    import onnx_ir
    from onnxscript import opset18 as op

    if dtype != onnx_ir.DataType.UINT8 or self.dtype != onnx_ir.DataType.BOOL:
        raise NotImplementedError(f"ONNX cannot reinterpret {self.dtype} bits as {dtype}")
    return op.Cast(self, to=onnx_ir.DataType.UINT8)


def _translations() -> dict:
    import torch

    return {torch.ops.aten.view.dtype: _bool_bytes_as_uint8}


def dev_scores_json(checkpoint: Path) -> str:
    """The checkpoint's dev scores by class, as JSON (empty lists when it has no dev_scores.tsv)."""
    from asnet.checkpoint import DEV_SCORES
    from asnet.eval.scorefile import read_scores

    if not (checkpoint / DEV_SCORES).exists():
        return json.dumps({"bonafide": [], "spoof": []})
    table = read_scores(checkpoint / DEV_SCORES)
    return json.dumps({"bonafide": table.score[table.labels == 1].tolist(), "spoof": table.score[table.labels == 0].tolist()})


def check_against_torch(onnx_path: Path, wrapped, names: list[str]) -> float:
    """Largest |onnxruntime - torch| over every output of the probe clips; raises above TOLERANCE."""
    import onnxruntime
    import torch

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for seconds in PROBE_SECONDS:
        wave = probe_clip(seconds)[None]
        with torch.inference_mode():
            expected = [t.numpy() for t in wrapped(torch.from_numpy(wave))]
        got = session.run(names, {"wave": wave})
        worst = max(worst, *(float(np.abs(a - b).max()) for a, b in zip(expected, got)))
    if not worst <= TOLERANCE:
        raise ExportRefused(f"onnxruntime disagrees with torch by {worst:.3g} (> {TOLERANCE}) on the probe clips: "
                            "export refused")
    return worst


def export_onnx(checkpoint: str | Path, out: str | Path) -> float:
    """Export `checkpoint` to `out` (atomically); returns the verified max |onnx - torch|."""
    import onnx
    import torch

    from asnet.checkpoint import META, load_checkpoint

    checkpoint = Path(checkpoint)
    model, _ = load_checkpoint(checkpoint, "cpu")
    wrapped, names = traceable(model)
    example = torch.from_numpy(probe_clip(PROBE_SECONDS[0])[None])
    program = torch.export.export(wrapped, (example,), dynamic_shapes={"wave": {1: torch.export.Dim.DYNAMIC}})
    onnx_program = torch.onnx.export(program, (example,), input_names=["wave"], output_names=names,
                                     opset_version=OPSET, custom_translation_table=_translations(), verbose=False,
                                     optimize=False)  # see OPTIMIZER below
    with atomic_path(out, suffix=".onnx") as tmp:
        onnx_program.save(str(tmp))
        proto = onnx.load(str(tmp))
        onnx.helper.set_model_props(proto, {
            "asnet.checkpoint": (checkpoint / META).read_text(),
            "asnet.dev_scores": dev_scores_json(checkpoint),
            "asnet.outputs": json.dumps(names),
        })
        onnx.save(proto, str(tmp))
        return check_against_torch(tmp, wrapped, names)


def main(args: argparse.Namespace) -> int:
    from asnet.checkpoint import META

    if not (Path(args.checkpoint) / META).exists():
        print(f"asnet export: error: {args.checkpoint}: not a checkpoint directory ({META} missing)", file=sys.stderr)
        return 2
    try:
        worst = export_onnx(args.checkpoint, args.out)
    except ExportRefused as refusal:
        print(f"asnet export: error: {refusal}", file=sys.stderr)
        return 1
    print(f"exported {args.checkpoint} -> {args.out} (ONNX opset {OPSET}; onnxruntime = torch within {worst:.1e})")
    return 0
