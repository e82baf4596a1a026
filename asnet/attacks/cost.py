"""`asnet bench attack-cost`: what one PGD step costs per clip for each attacked model, and what
the claims suite (attack.suites.claim, attack.suite_subsets.claim) will therefore cost.

    asnet bench attack-cost [--models asnet lcnn rawnet2] [--batch 16] [--seconds 1.0] [--repeats 3]
        [--threads 1] [--params params.yaml] [--out results/bench/attack_cost.json]

Per model (the params config of the runs entry: report.asnet's, each of report.baselines'), as
the attack sees it (asnet.attacks.target.AttackTarget: eval mode, weights frozen, BPDA surrogates
on), on --batch clips of --seconds of seeded synthetic speech (asnet.models.bench): the median of
--repeats timed calls, after one warm-up, of
- forward: the deployed outputs, no gradient;
- forward + backward: the decision margin and its gradient with respect to the waveform (one PGD step);
each as CPU seconds per clip (process time; with --threads 1 that is one core's time however
loaded the machine is) and wall seconds per clip. Weights are untrained: a step costs the same.

The sizing, per checkpoint of the claims suite (asnet.attacks.pgd, asnet.attacks.runner):
    clips x [forward x (1 + budgets x (restarts + 1)) + forward+backward x budgets x restarts x steps]
(the clean pass; per budget and restart `steps` ascent steps and the last iterate's scoring; per
budget the adversarial clips' scoring), times the seeds of each entry the DAG attacks with the
suite (asnet.pipeline: report.asnet at its stage, every attacked report.baselines entry).
"""
from __future__ import annotations

import argparse
import statistics
import time

from asnet.utils import DEFAULT_PARAMS, load_params, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", nargs="*", default=None,
                        help="params runs entries to time (default: report.asnet's entry and report.baselines)")
    parser.add_argument("--suite", default="claim", help="the attack suite to size (default: claim)")
    parser.add_argument("--batch", type=int, default=None, help="clips per call (default: params attack.batch_size)")
    parser.add_argument("--seconds", type=float, default=None, help="clip length (default: the suite's clip_seconds)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per measurement (after one warm-up)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: CPU time is one core's)")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--out", default="results/bench/attack_cost.json")


def per_clip(fn, repeats: int, clips: int) -> dict:
    from asnet.models.bench import run_times

    times = run_times(fn, repeats)
    return {"cpu_s": statistics.median(c for _, c in times) / clips, "wall_s": statistics.median(w for w, _ in times) / clips}


def measure(config: dict, wave, repeats: int) -> dict:
    import torch

    from asnet.attacks.target import AttackTarget, OperatingPoint
    from asnet.models import build_model, count_parameters

    torch.manual_seed(0)
    model = build_model(config)
    target = AttackTarget(model, OperatingPoint(0.0, 0.0, None, 1.0))

    def forward():
        with torch.no_grad():
            target.deployed(wave)

    def forward_backward():
        adversarial = wave.clone().requires_grad_(True)
        torch.autograd.grad(target.margin(target.expected(adversarial)).sum(), adversarial)

    return {"parameters": count_parameters(model), "forward": per_clip(forward, repeats, len(wave)),
            "forward_backward": per_clip(forward_backward, repeats, len(wave))}


def passes(clips: int, budgets: int, restarts: int, steps: int) -> dict:
    """Forward and forward+backward passes (in clips) of one checkpoint's run of a PGD-only suite."""
    return {"forward": clips * (1 + budgets * (restarts + 1)), "forward_backward": clips * budgets * restarts * steps}


def attacked_checkpoints(params: dict, entries: list[str]) -> dict[str, int]:
    """entry -> how many checkpoints of it the DAG attacks with the claims suite (its seeds)."""
    from asnet.runs import runs

    counts: dict[str, int] = {}
    for run in runs(params):
        if run.entry in entries and run.attacked:
            counts[run.entry] = counts.get(run.entry, 0) + 1
    return counts


def main(args: argparse.Namespace) -> int:
    import sys

    import torch

    from asnet.attacks.config import AttackConfig, ConfigError
    from asnet.attacks.suite import plan
    from asnet.models.bench import synthetic_speech
    from asnet.runs import lookup, run_params, runs

    params = load_params(args.params)
    try:
        config = AttackConfig.from_params(params)
        jobs = plan(config, args.suite)
        suite = config.for_suite(args.suite)
    except ConfigError as error:
        print(f"asnet bench attack-cost: error: {error}", file=sys.stderr)
        return 2
    if any(job.attack not in ("pgd_linf", "pgd_l2") for job in jobs):
        print(f"asnet bench attack-cost: error: suite {args.suite} runs more than PGD; its cost is not PGD's formula "
              "(time it with `asnet bench attack`)", file=sys.stderr)
        return 2
    entries = args.models or [params["report"]["asnet"]["entry"], *params["report"]["baselines"]]
    first = {}
    for run in runs(params):
        first.setdefault(run.entry, run)
    entries = [e for e in entries if e in first and first[e].attacked]
    torch.set_num_threads(args.threads)
    batch, seconds = args.batch or config.batch_size, args.seconds or suite.clip_seconds
    wave = torch.from_numpy(synthetic_speech(batch, round(seconds * config.sample_rate), config.sample_rate))
    counts = attacked_checkpoints(params, entries)
    pgd = jobs[0].settings
    n = {job.attack: passes(suite.clips, len(job.budgets), job.settings["restarts"], job.settings["steps"]) for job in jobs}
    total = {"forward": sum(v["forward"] for v in n.values()) - suite.clips * (len(n) - 1),  # one clean pass
             "forward_backward": sum(v["forward_backward"] for v in n.values())}
    report = {"torch": torch.__version__, "threads": args.threads, "batch": batch, "clip_seconds": seconds,
              "suite": args.suite, "suite_settings": {"clips": suite.clips, "clip_seconds": suite.clip_seconds,
                                                      "linf_eps": list(suite.linf_eps), "pgd": pgd},
              "passes_per_checkpoint": total, "models": {}}
    grand = 0.0
    for entry in entries:
        model_config = lookup(run_params(params, first[entry]), first[entry].config)
        cost = measure(model_config, wave, args.repeats)
        per_checkpoint = (total["forward"] * cost["forward"]["cpu_s"]
                          + total["forward_backward"] * cost["forward_backward"]["cpu_s"])
        cost.update({"checkpoints": counts[entry], "cpu_minutes_per_checkpoint": per_checkpoint / 60,
                     "cpu_minutes": counts[entry] * per_checkpoint / 60})
        grand += cost["cpu_minutes"]
        report["models"][entry] = cost
        print(f"{entry:<10} {cost['parameters']:>9,} params  forward {1e3 * cost['forward']['cpu_s']:7.1f} CPU-ms/clip"
              f"  forward+backward {1e3 * cost['forward_backward']['cpu_s']:7.1f} CPU-ms/clip"
              f"  -> suite {args.suite}: {cost['cpu_minutes_per_checkpoint']:.1f} CPU-min x {counts[entry]} checkpoint(s)",
              flush=True)
    report["cpu_minutes_total"] = grand
    print(f"suite {args.suite}: {suite.clips} clips of {suite.clip_seconds:g} s, {total['forward_backward']:,} "
          f"forward+backward and {total['forward']:,} forward clip-passes per checkpoint; "
          f"{grand:.1f} CPU-minutes over {sum(counts.values())} checkpoints")
    write_json(args.out, report)
    print(f"wrote {args.out}")
    return 0
