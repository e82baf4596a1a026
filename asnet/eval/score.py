"""`asnet score`: run a checkpoint over a split or shift set and write its scores TSV.

    asnet score --checkpoint results/models/asnet/adv --shards data/cache/demo/eval \\
        --out results/scores/asnet/adv/eval.tsv [--params params.yaml] [--device auto]

One process may score several sets with one checkpoint (`--shards D1 D2 --out d1.tsv d2.tsv`:
the DAG scores every test set of a checkpoint at once) or one set with several checkpoints
(`--checkpoint A B --out a.tsv b.tsv`).

Writes, beside --out: <set>.asvspoof.txt (ASVspoof 2021 two-column export) and
<set>.rejects.csv (clips that could not be scored, with the reason). Scores are computed from
the waveforms alone; labels and systems are copied from the shard index afterwards, so they can
never influence a score or its orientation (higher = bona fide, by construction of the model).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from asnet.utils import DEFAULT_PARAMS, load_params, resolve_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, nargs="+", help="checkpoint directories (model.safetensors + checkpoint.json)")
    parser.add_argument("--shards", required=True, nargs="+", help="waveform shard directories (wave.npy + index.csv)")
    parser.add_argument("--out", required=True, nargs="+", help="scores TSVs to write, one per checkpoint or per shard directory")
    parser.add_argument("--clips-per-system", type=int, default=None,
                        help="score only this many clips of each system per set (seeded by params eval.test_subset_seed)")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="clips per forward pass (default: $ASNET_SCORE_BATCH, else 32); no score depends on it")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")


def sibling(out: str | Path, suffix: str) -> Path:
    """<dir>/<set>.tsv -> <dir>/<set><suffix>."""
    out = Path(out)
    return out.with_name(out.stem + suffix)


def export_paths(out: str | Path) -> tuple[Path, Path]:
    """(ASVspoof export, rejects file) written beside a scores TSV."""
    from asnet.eval.rejects import rejects_path

    return sibling(out, ".asvspoof.txt"), rejects_path(out)


def score_table(outputs, clips, temperature: float):
    """Join model outputs with the index's labels and systems (only now are they read)."""
    from asnet.eval.calibration import spoof_probability
    from asnet.eval.scorefile import ScoreTable

    info = {c.utt_id: c for c in clips}
    return ScoreTable(
        utt_id=np.array(outputs.utt_id),
        score=outputs.score,
        p_spoof=spoof_probability(outputs.score, temperature),
        energy=outputs.energy,
        abstain=outputs.abstain,
        label=np.array([info[u].label for u in outputs.utt_id]),
        system=np.array([info[u].system for u in outputs.utt_id]),
        gate=outputs.gate,
    )


def per_system_view(shards, per_system: int, seed: int):
    """The shards restricted to a seeded draw of `per_system` clips of each system."""
    from asnet.data.shards import per_system_subset

    kept = {c.utt_id for c in per_system_subset(shards.clips, per_system, seed)}
    return shards.subset([i for i, c in enumerate(shards.clips) if c.utt_id in kept])


def jobs(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(checkpoint, shards, out) triples: one checkpoint over several sets, or one set with several checkpoints."""
    if len(args.checkpoint) == 1 and len(args.shards) == len(args.out):
        return [(args.checkpoint[0], shards, out) for shards, out in zip(args.shards, args.out)]
    if len(args.shards) == 1 and len(args.checkpoint) == len(args.out):
        return [(checkpoint, args.shards[0], out) for checkpoint, out in zip(args.checkpoint, args.out)]
    raise ValueError("give one --out per --shards (one checkpoint) or one --out per --checkpoint (one --shards)")


def main(args: argparse.Namespace) -> int:
    from asnet.checkpoint import load_checkpoint
    from asnet.data.shards import WaveShards
    from asnet.eval.inference import default_batch_size, run_model
    from asnet.eval.metrics import ScoreError
    from asnet.eval.scorefile import write_asvspoof_export, write_rejects, write_scores
    from asnet.eval.windows import WindowPolicy

    try:
        work = jobs(args)
    except ValueError as error:
        print(f"asnet score: error: {error}", file=sys.stderr)
        return 2
    params = load_params(args.params)
    config = params["eval"]
    windows = WindowPolicy.from_params(config, params["base"]["sample_rate"])
    device = resolve_device(args.device)
    loaded: dict[str, tuple] = {}
    for checkpoint, shards_dir, out in work:
        if checkpoint not in loaded:
            loaded = {checkpoint: load_checkpoint(checkpoint, device)}  # one model in memory at a time
        (model, meta), shards = loaded[checkpoint], WaveShards(shards_dir)
        if args.clips_per_system:
            shards = per_system_view(shards, args.clips_per_system, config["test_subset_seed"])
        try:
            outputs = run_model(model, shards, args.batch_size or default_batch_size(), device, windows)
        except ScoreError as error:
            print(f"asnet score: error: {error}", file=sys.stderr)
            return 2
        table = score_table(outputs, shards.clips, meta["temperature"])
        export, rejects = export_paths(out)
        write_scores(out, table)
        write_asvspoof_export(export, table)
        write_rejects(rejects, outputs.rejects)
        for utt_id, reason in outputs.rejects:
            print(f"asnet score: rejected {utt_id}: {reason}", file=sys.stderr)
        print(f"scored {len(table)} clips of {shards_dir} with {checkpoint} -> {out} ({len(outputs.rejects)} rejected)")
    return 0
