"""`asnet attack`: the security benchmark of one checkpoint.

    asnet attack --checkpoint results/models/<run>/<stage> --shards data/cache/demo/eval \\
        --suite grid|full --out results/attacks/<run>/<stage> [--params params.yaml] [--device auto]
    asnet attack ... --suite claim --out results/claim_attacks/<run>/<stage>

`grid` runs on every evaluated checkpoint, `full` on a run's full_attacks stages, and `claim` (the
claims check's PGD, on its own larger subset: attack.suite_subsets.claim) on the checkpoints the
claims check compares.

Threat model
------------
The attacker perturbs the digital waveform that enters the deployed pipeline: waveform in
[-1, 1] -> differentiable front-end (log-mel, phase plane, prosody; BPDA surrogates where an
operation has no useful gradient) -> model in eval mode -> decision at the checkpoint's
dev-fitted operating point (bona fide iff score > eer_threshold), with the two defences the
model adds: abstention (a(x) > tau) and the energy OOD flag (E(x) > ood_threshold).
- Goals, reported separately: a spoof accepted as bona fide (the spoofing threat) and a bona
  fide clip rejected (denial of service).
- Knowledge: white-box (weights, front-end, thresholds: PGD L∞/L2, CW-L2, APGD-CE/DLR, FAB, the
  adaptive attack) and black-box with score queries only (Square, with a query budget).
- Budgets in waveform units: L∞ eps (0.0005-0.004 by default; 0.002 is about -54 dBFS) and L2
  by SNR, ||delta||_2 = ||x||_2 10^(-SNR/20); the SNR of every perturbation is reported per clip.
  Every adversarial waveform stays within [-1, 1] and its budget.
- Defences are not free wins: the adaptive attack must flip the decision while keeping E(x)
  under the OOD threshold and a(x) under tau; every other attack reports how often abstention or
  the OOD flag would have caught it.
- Gradient masking is tested, not assumed away: PGD with the surrogates off (naive gradients)
  runs beside the BPDA one, and the sanity checks (asnet.attacks.sanity; Carlini et al., 2019)
  are computed with the results.
- Not covered: over-the-air (physical) attacks, codec-robust or universal perturbations,
  attacks on an ASV system in tandem, and perceptual (psychoacoustic) budgets.

Clips: a seeded, class-balanced subset of the shard, each attacked as its first
attack.clip_seconds (asnet.attacks.subset); clean metrics are those of the same clips. Outputs
and their reuse on a rerun: asnet.attacks.runner; metrics: asnet.attacks.metrics. Exit status:
0, 1 when a sanity check failed (everything is written first, then one line per violation), 2 on
bad input.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from asnet.utils import DEFAULT_PARAMS, file_sha256, load_params


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory (model.safetensors + checkpoint.json)")
    parser.add_argument("--shards", required=True, help="waveform shard directory the subset is drawn from")
    parser.add_argument("--suite", required=True, help="a suite of params attack.suites (grid, full, claim)")
    parser.add_argument("--out", required=True, help="directory for the result JSONs and summary.json")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")


def checkpoint_digest(directory: Path) -> str:
    """Identifies the checkpoint: its weights and its metadata, less the training wall time (which
    differs between two runs of the same stage, and would make their attack results differ)."""
    from asnet.checkpoint import WEIGHTS, load_meta

    meta = {k: v for k, v in load_meta(directory).items() if k != "wall_s"}
    return hashlib.sha256((json.dumps(meta, sort_keys=True) + file_sha256(directory / WEIGHTS)).encode()).hexdigest()


def print_summary(summary: dict) -> None:
    clean = summary["clean"]
    print(f"clean: accuracy {clean['accuracy']:.3f}  EER {clean['eer']:.2f} %  AUC {clean['auc']:.3f}  "
          f"abstain {clean['abstain_rate']:.3f}  OOD {clean['ood_rate']:.3f}")
    print(f"{'result':<34}{'robust acc':>11}{'spoof acc.':>11}{'bona rej.':>10}{'undetected':>11}"
          f"{'EER %':>8}{'SNR dB':>8}{'s':>7}")

    def pct(value):
        return "-" if value is None else f"{value:.3f}"

    for row in summary["results"]:
        rates = row["success_rate"]
        snr = "-" if row["snr_db_mean"] is None else f"{row['snr_db_mean']:.1f}"
        print(f"{row['name']:<34}{row['robust_accuracy']:>11.3f}{pct(rates['spoof_accepted']):>11}"
              f"{pct(rates['bonafide_rejected']):>10}{pct(row['undetected_flip_rate']):>11}"
              f"{row['eer_spoof_attacked']:>8.2f}{snr:>8}{row['wall_s']:>7.1f}")
    for check in summary["sanity"]:
        print(f"sanity {check['name']}: {check['status']} ({check['detail']})")


def main(args: argparse.Namespace) -> int:
    import torch

    from asnet.attacks.config import ConfigError
    from asnet.attacks.eot import EOT
    from asnet.attacks.runner import Runner
    from asnet.attacks.subset import SubsetError, draw_subset
    from asnet.attacks.suite import plan, read_config
    from asnet.attacks.target import AttackTarget, OperatingPoint
    from asnet.checkpoint import META, load_checkpoint
    from asnet.data.shards import WaveShards

    def fail(message: str) -> int:
        print(f"asnet attack: error: {message}", file=sys.stderr)
        return 2

    checkpoint, shards_dir = Path(args.checkpoint), Path(args.shards)
    try:
        config = read_config(load_params(args.params))
        jobs = plan(config, args.suite)
        config = config.for_suite(args.suite)
    except ConfigError as error:
        return fail(str(error))
    if not (checkpoint / META).is_file():
        return fail(f"{checkpoint} is not a checkpoint directory (no {META})")
    if not (shards_dir / "index.csv").is_file():
        return fail(f"{shards_dir} is not a waveform shard directory (no index.csv)")
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    model, meta = load_checkpoint(checkpoint, str(device))
    try:
        point = OperatingPoint.from_meta(meta)
    except ValueError as error:
        return fail(f"{checkpoint}: {error}")
    try:
        subset = draw_subset(WaveShards(shards_dir), config.clips, config.clip_samples, config.seed)
    except SubsetError as error:
        return fail(str(error))
    identity = {"checkpoint": str(checkpoint), "checkpoint_digest": checkpoint_digest(checkpoint),
                "stage": meta.get("stage"), "architecture": meta["model"].get("architecture", "asnet"),
                "shards": str(shards_dir)}
    target = AttackTarget(model, point, EOT.from_params(config.eot, config.sample_rate))
    summary = Runner(target, subset, config, identity, Path(args.out), device).run(jobs, args.suite)
    print_summary(summary)
    print(f"wrote {len(summary['results'])} results and {Path(args.out) / 'summary.json'}")
    failed = [c for c in summary["sanity"] if c["status"] == "fail"]
    for check in failed:
        print(f"asnet attack: sanity check {check['name']} failed: {check['detail']}", file=sys.stderr)
    return 1 if failed else 0
