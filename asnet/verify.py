"""Does a fresh run reproduce the recorded one? Two checks, run after `make demo`:

    asnet verify --reference docs/demo-reference.json [--results results] [--lock dvc.lock]
                 [--recorded-lock-rev HEAD | --recorded-lock PATH]

- bytes: each stage's outputs in the working dvc.lock against the recorded lock. `make demo` ends
  with `dvc commit`, which rewrites the working dvc.lock with the fresh hashes, so git's copy is
  the record. Data stages (DATA_FAMILIES) must give the recorded bytes; the others (training,
  scores, metrics, attacks, reports) are float computations whose bytes depend on the CPU's
  kernels and the thread count, so they are counted, not judged.
- metrics: each recorded checkpoint's eval EER and AUC against the fresh metrics JSON, within the
  recorded tolerance.
- where data differs, which clips: the reference holds a digest of each (split, system) group of
  the training corpus's manifest (every clip's sha256), so a difference is traced to the systems
  whose synthesis differs, and the CPU it was recorded on beside this one.

`asnet verify --record docs/demo-reference.json [--results results] [--params params.yaml]` writes
the reference from a finished run: every evaluated checkpoint of the runs params report.demo names.
Light module: no torch.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import statistics
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from asnet.data.manifest import ManifestError, read_manifest
from asnet.pipeline.registry import demo_runs, manifest_of
from asnet.utils import DEFAULT_PARAMS, load_params, read_json, write_json

TEST_SET = "eval"  # the test set every checkpoint is scored on
METRICS = ("eer_pct", "auc")  # keys of a metrics JSON (asnet.eval.evaluate.detection_block)
# Float training differs across CPUs (the kernels follow the instruction set: pinning them to AVX2
# on an AVX-512 machine still did not give the recorded bytes), so a rerun elsewhere behaves like
# another seed: measured, asnet_s0 adv gave EER 22.02 % on one CPU against 21.52 +- 1.64 % recorded
# over three seeds on another. A metric's tolerance is SPREADS sample standard deviations over its
# entry's seeds, and never less than its FLOOR: an entry with one seed has no spread to measure,
# and three seeds may happen to agree more closely than another machine does.
SPREADS = 2.0
FLOOR = {"eer_pct": 2.0, "auc": 0.02}  # EER in percentage points
# DVC stage families (the stage name before `@`) whose outputs must be the recorded bytes: code
# digests, corpus preparation, caches and shift sets. Reruns give them on one machine; another CPU
# gave other eval-split clips once (docs/BENCHMARKS.md, 2026-12-08), which clip_groups then traces.
DATA_FAMILIES = ("code_digests", "shift_codec", "shift_vocoder")
DATA_PREFIXES = ("prepare_", "cache_")
SHOWN_NAMES = 8  # stage names listed per line before "..."
# The instruction-set extensions numerical kernels dispatch on (/proc/cpuinfo flags): recorded, so a
# data difference can be read against the two CPUs.
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "amx_tile", "avx512f", "avx512dq", "avx512bw",
              "avx512vl", "avx512cd", "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bitalg",
              "avx512_vpopcntdq", "avx512_bf16", "avx512_fp16", "avx512_vp2intersect")


class VerifyError(Exception):
    """A reference, lock or metrics file that cannot be read: a user error (one line, exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", metavar="JSON", help="write the reference from the results tree")
    mode.add_argument("--reference", metavar="JSON", help="check the results tree against this reference")
    parser.add_argument("--results", default="results", help="the results tree (metrics under <results>/metrics)")
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="with --record: whose report.demo runs to record")
    parser.add_argument("--lock", default="dvc.lock", help="the fresh run's dvc.lock")
    recorded = parser.add_mutually_exclusive_group()
    recorded.add_argument("--recorded-lock-rev", default="HEAD", metavar="REV",
                          help="the recorded dvc.lock is git's copy at this revision (default HEAD)")
    recorded.add_argument("--recorded-lock", metavar="PATH", help="the recorded dvc.lock, as a file")


def main(args: argparse.Namespace) -> int:
    if args.record:
        return record_main(args)
    return verify_main(args)


# ---------------------------------------------------------------- the reference
def metrics_file(results: Path, run_id: str, stage: str) -> Path:
    return results / "metrics" / run_id / stage / f"{TEST_SET}.json"


def read_metrics(path: Path) -> dict[str, float]:
    """METRICS of one metrics JSON; NaN where the file has none (write_json writes NaN as null)."""
    try:
        found = read_json(path)
        return {m: math.nan if found[m] is None else float(found[m]) for m in METRICS}
    except (ValueError, KeyError, TypeError) as error:
        raise VerifyError(f"{path}: not a metrics JSON with {' and '.join(METRICS)} ({error})") from None


def tolerance(metric: str, seeds: list[float]) -> float:
    spread = statistics.stdev(seeds) if len(seeds) > 1 else 0.0
    return max(FLOOR[metric], SPREADS * spread)


def reference(params: dict, results: Path) -> dict:
    """The recorded value and tolerance of each metric of each evaluated checkpoint of the demo's runs."""
    found = {(run.entry, run.id, stage): read_metrics(metrics_file(results, run.id, stage))
             for run in demo_runs(params) for stage in run.evaluated}
    if not found:
        raise VerifyError(f"params report.demo ({', '.join(params['report']['demo'])}) names no run of params runs")
    undefined = [f"{run_id}/{stage} {TEST_SET}.{m}" for (_, run_id, stage), values in found.items()
                 for m, value in values.items() if not math.isfinite(value)]
    if undefined:
        raise VerifyError(f"{results}/metrics: no value to record for {names(undefined)}")
    seeds = defaultdict(list)  # (entry, stage, metric) -> its value for each seed
    for (entry, _, stage), values in found.items():
        for metric, value in values.items():
            seeds[entry, stage, metric].append(value)
    checkpoints = defaultdict(dict)  # "<run>/<stage>" -> "eval.<metric>" -> its value and tolerance
    for (entry, run_id, stage), values in found.items():
        for metric, value in values.items():
            checkpoints[f"{run_id}/{stage}"][f"{TEST_SET}.{metric}"] = {
                "value": value, "tolerance": tolerance(metric, seeds[entry, stage, metric])}
    manifest = manifest_of(params["corpora"]["train"])
    return {"asnet_threads": os.environ.get("ASNET_THREADS"), "commit": git_commit(Path.cwd()), "cpu": cpu(),
            "spreads": SPREADS, "floor": FLOOR, "checkpoints": checkpoints,
            "manifest": manifest, "clips": clip_groups(Path(manifest))}


def cpu() -> dict:
    """The CPU's model name and which SIMD_FLAGS it has (Linux; empty elsewhere)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"model": None, "flags": []}
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    return {"model": fields.get("model name"), "flags": [f for f in SIMD_FLAGS if f in flags]}


def clip_groups(manifest: Path) -> dict[str, dict]:
    """'<split>/<system>' -> its clip count and the sha256 of its clips' `utt_id sha256` lines, sorted."""
    try:
        rows = read_manifest(manifest)
    except (OSError, ManifestError) as error:
        raise VerifyError(f"{manifest}: no manifest to trace the corpus's clips with ({error})") from None
    lines = defaultdict(list)
    for row in rows:
        lines[f"{row.split}/{row.system}"].append(f"{row.utt_id} {row.sha256}\n")
    return {group: {"clips": len(found), "sha256": hashlib.sha256("".join(sorted(found)).encode()).hexdigest()}
            for group, found in sorted(lines.items())}


def git_commit(where: Path) -> str | None:
    """The commit checked out at `where` (None outside a git repository)."""
    done = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def record_main(args: argparse.Namespace) -> int:
    recorded = reference(load_params(args.params), Path(args.results))
    write_json(args.record, recorded)
    values = sum(map(len, recorded["checkpoints"].values()))
    print(f"recorded {values} values of {len(recorded['checkpoints'])} checkpoints (ASNET_THREADS="
          f"{recorded['asnet_threads'] or 'unset'}, commit {recorded['commit'] or 'none'}) -> {args.record}")
    return 0


# ---------------------------------------------------------------- bytes
def is_data(stage: str) -> bool:
    family = stage.split("@", 1)[0]
    return family in DATA_FAMILIES or family.startswith(DATA_PREFIXES)


def parse_lock(text: str, source: str) -> dict[str, dict[str, str | None]]:
    """Stage name -> {output path: md5} of a dvc.lock (a folder's md5 ends in `.dir`)."""
    try:
        lock = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return {name: {out["path"]: out.get("md5") for out in stage.get("outs", [])}
                for name, stage in lock["stages"].items()}
    except (yaml.YAMLError, TypeError, KeyError, AttributeError) as error:
        raise VerifyError(f"{source}: not a dvc.lock ({type(error).__name__}: {error})") from None


def read_lock(path: str) -> dict[str, dict[str, str | None]]:
    return parse_lock(Path(path).read_text(), path)


def lock_at(lock: str, rev: str) -> dict[str, dict[str, str | None]]:
    """The lock file as git has it at `rev`."""
    where = Path(lock).resolve()
    done = subprocess.run(["git", "-C", str(where.parent), "show", f"{rev}:./{where.name}"],
                          capture_output=True, text=True)
    if done.returncode:
        problem = (done.stderr.strip().splitlines() or ["git show failed"])[-1]
        raise VerifyError(f"{lock} at git revision {rev}: {problem} (give the recorded lock with --recorded-lock)")
    return parse_lock(done.stdout, f"{rev}:{lock}")


@dataclass
class Bytes:
    data_identical: list[str]
    data_different: dict[str, list[str]]  # stage -> its outputs whose md5 differs
    other_identical: int
    other_different: int
    not_compared: list[str]               # stages in one lock only

    @property
    def ok(self) -> bool:
        return bool(self.data_identical) and not self.data_different


def compare_locks(recorded: dict, fresh: dict) -> Bytes:
    result = Bytes([], {}, 0, 0, sorted(recorded.keys() ^ fresh.keys()))
    for stage in sorted(recorded.keys() & fresh.keys()):
        before, after = recorded[stage], fresh[stage]
        differing = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        if is_data(stage):
            if differing:
                result.data_different[stage] = differing
            else:
                result.data_identical.append(stage)
        elif differing:
            result.other_different += 1
        else:
            result.other_identical += 1
    return result


def names(stages: list[str]) -> str:
    shown = ", ".join(stages[:SHOWN_NAMES])
    return shown + (f", ... ({len(stages) - SHOWN_NAMES} more)" if len(stages) > SHOWN_NAMES else "")


def print_bytes(found: Bytes) -> None:
    print(f"data stages (must be byte-identical): {len(found.data_identical)} identical, "
          f"{len(found.data_different)} different")
    for stage, paths in found.data_different.items():
        print(f"  FAIL {stage}: {', '.join(paths)}")
    print(f"other stages (float results differ across CPUs; information only): {found.other_identical} identical, "
          f"{found.other_different} different")
    if found.not_compared:
        print(f"not compared (in one lock only): {len(found.not_compared)}: {names(found.not_compared)}")


def differing_groups(recorded: dict, manifest: Path) -> dict[str, tuple[int, int]] | None:
    """Each (split, system) group whose clips differ from the reference's -> its clip counts (here,
    recorded); None when the reference records no groups (an older one) or the manifest is not there."""
    if "clips" not in recorded or not manifest.exists():
        return None
    fresh, before = clip_groups(manifest), recorded["clips"]
    return {group: (fresh.get(group, {}).get("clips", 0), before.get(group, {}).get("clips", 0))
            for group in sorted(before.keys() | fresh.keys()) if before.get(group) != fresh.get(group)}


def print_clips(differing: dict[str, tuple[int, int]] | None, recorded: dict, manifest: Path) -> None:
    if differing is None:
        return
    total = len(recorded["clips"])
    identical = sum(group not in differing for group in recorded["clips"])
    listed = ", ".join(f"{group} (clips: {here} here, {there} recorded)" for group, (here, there) in differing.items())
    print(f"corpus clips ({manifest}): {identical} of {total} split/system groups identical"
          + (f"; differing: {listed}" if differing else ""))
    if differing:
        here, there = cpu(), recorded.get("cpu") or {}
        gained = [f for f in here["flags"] if f not in there.get("flags", [])]
        lost = [f for f in there.get("flags", []) if f not in here["flags"]]
        print(f"  recorded on: {there.get('model') or 'unknown'}; here: {here['model'] or 'unknown'}; SIMD flags "
              f"here and not there: {' '.join(gained) or 'none'}; there and not here: {' '.join(lost) or 'none'}")


# ---------------------------------------------------------------- metrics
@dataclass(frozen=True)
class Check:
    checkpoint: str
    metric: str
    recorded: float
    fresh: float | None  # None: no fresh metrics file
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.fresh is not None and abs(self.fresh - self.recorded) <= self.tolerance


def recorded_values(recorded: dict, source: str) -> list[tuple[str, str, float, float]]:
    """(checkpoint, metric, value, tolerance) of each value a reference records."""
    try:
        rows = [(checkpoint, metric, float(value["value"]), float(value["tolerance"]))
                for checkpoint, values in recorded["checkpoints"].items() for metric, value in values.items()]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise VerifyError(f"{source}: not a reference asnet verify --record wrote ({type(error).__name__}: {error})") from None
    wrong = [f"{c} {m}" for c, m, _, _ in rows if c.count("/") != 1 or m.removeprefix(f"{TEST_SET}.") not in METRICS]
    if wrong or not rows:
        raise VerifyError(f"{source}: records {'no value' if not rows else 'unknown values: ' + names(wrong)}")
    return rows


def metric_checks(rows: list[tuple[str, str, float, float]], results: Path) -> list[Check]:
    fresh = {}  # checkpoint -> its fresh metrics, None without a metrics file
    for checkpoint in dict.fromkeys(row[0] for row in rows):
        path = metrics_file(results, *checkpoint.split("/"))
        fresh[checkpoint] = read_metrics(path) if path.exists() else None
    return [Check(checkpoint, metric, value, None if fresh[checkpoint] is None
                  else fresh[checkpoint][metric.removeprefix(f"{TEST_SET}.")], tol)
            for checkpoint, metric, value, tol in rows]


def print_checks(checks: list[Check]) -> None:
    width = max(len(c.checkpoint) for c in checks)
    print(f"metrics: {'checkpoint':<{width}}  {'metric':<12} {'recorded':>9} {'fresh':>9} {'|diff|':>8} "
          f"{'tolerance':>9}")
    for c in checks:
        fresh = "missing" if c.fresh is None else f"{c.fresh:.4f}"
        diff = "" if c.fresh is None else f"{abs(c.fresh - c.recorded):.4f}"
        print(f"         {c.checkpoint:<{width}}  {c.metric:<12} {c.recorded:>9.4f} {fresh:>9} {diff:>8} "
              f"{c.tolerance:>9.4f}  {'ok' if c.ok else 'FAIL'}")


# ---------------------------------------------------------------- the verdict
def verdict(found: Bytes, checks: list[Check], clips: dict | None = None) -> str:
    if found.ok and all(c.ok for c in checks):
        return (f"reproduces: data byte-identical ({len(found.data_identical)} stages), "
                f"{len(checks)} metrics within tolerance")
    failed = []
    if found.data_different:
        failed.append(f"data differs in {len(found.data_different)} stages ({names(list(found.data_different))})"
                      + (f", from the clips of {names(list(clips))}" if clips else ""))
    elif not found.data_identical:
        failed.append("no data stage is in both locks")
    missing = sorted({c.checkpoint for c in checks if c.fresh is None})
    if missing:
        failed.append(f"no fresh metrics for {len(missing)} checkpoints ({names(missing)})")
    beyond = [c for c in checks if c.fresh is not None and not c.ok]
    if beyond:
        failed.append(f"{len(beyond)} of {len(checks)} metrics beyond tolerance "
                      f"({names([f'{c.checkpoint} {c.metric}' for c in beyond])})")
    return "does not reproduce: " + "; ".join(failed)


def verify_main(args: argparse.Namespace) -> int:
    try:
        recorded = read_json(args.reference)
    except ValueError as error:
        raise VerifyError(f"{args.reference}: not JSON ({error})") from None
    before = read_lock(args.recorded_lock) if args.recorded_lock else lock_at(args.lock, args.recorded_lock_rev)
    found = compare_locks(before, read_lock(args.lock))
    checks = metric_checks(recorded_values(recorded, args.reference), Path(args.results))
    manifest = Path(recorded.get("manifest") or "")
    clips = differing_groups(recorded, manifest)
    print(f"reference: recorded at commit {recorded.get('commit') or 'unknown'} with ASNET_THREADS="
          f"{recorded.get('asnet_threads') or 'unset'}")
    print_bytes(found)
    print_clips(clips, recorded, manifest)
    print_checks(checks)
    line = verdict(found, checks, clips)
    print(line)
    return 0 if line.startswith("reproduces") else 1
