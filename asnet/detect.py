"""`asnet detect PATH... [--checkpoint DIR | --onnx FILE]`: is this recording fake?

Scores your own audio: files, directories (searched recursively for audio suffixes) and globs
(quoted, so the shell leaves them to us). Anything libsndfile or FFmpeg decodes is accepted (wav,
flac, mp3, m4a/aac, ogg vorbis/opus, webm, ...) at any rate and channel count: it is mixed down
to mono and resampled to the rate the checkpoint's model was trained at (its config's
sample_rate: 16 kHz for ours; the output says so), decoded block by block, so memory does not
grow with the file's length (asnet.data.audio.stream_audio).

Per file: the decision (bonafide / spoof / abstain), the calibrated P(spoof) = sigmoid(-score / T)
with the checkpoint's dev-fitted temperature T, the score (higher = bona fide), the energy OOD
score with its flag (energy > the checkpoint's ood_threshold: the input is unlike the training
data, so trust the score less), the abstention logit with its flag (> abstain_threshold: the
detector expects to be wrong here, and the decision is "abstain"), the duration and the native
format. A recording longer than --max-clip-seconds is scored in windows (asnet.eval.windows: the
policy and why its decision is the mean of the window scores); the output then lists every
window and the windows that drove the decision.

Operating point: bona fide iff score > threshold. The default threshold is the checkpoint's dev
EER threshold (as many dev spoofs accepted as dev bona fide rejected); --operating-point far=0.01
or frr=0.05 picks another one on the checkpoint's dev scores (asnet.eval.operating_point). The
dev error rates at the chosen threshold are printed with the results. They hold on audio like the
training corpora; the demo model saw ~7,500 short clips and is not a forensic tool.

Read P(spoof) with the operating point, not against 0.5: the temperature rescales the score but
does not shift it, and it is fitted on dev, whose class balance (`dev_spoof_share`) acts as the
prior. The EER threshold is usually not at score 0, so the decision boundary sits at the P(spoof)
the output names (`p_spoof_at_threshold`; 0.79 for the demo base model: a bona fide recording
at P(spoof) 0.6 is still called bona fide, at the stated dev error rates).

Output: a table (default), or --json / --csv with these stable schemas:
  JSON {"schema": "asnet.detect/1", "checkpoint": {...}, "operating_point": {name, threshold,
        dev_far, dev_frr, p_spoof_at_threshold, dev_spoof_share}, "windows": {max_clip_seconds,
        window_seconds, hop_seconds}, "summary": {scored, rejected, skipped: [paths]},
        "files": [FILE, ...]}
       FILE = {path, status ("scored" | "rejected"), reason (null when scored), decision,
               p_spoof, score, threshold, energy, ood, abstain_logit, abstain, duration_s,
               sample_rate, channels (native), decoder, format, resampled, downmixed,
               windows (null for a clip scored whole, else {window_seconds, hop_seconds, count,
               silent, spoof, driving: [indices into list], list: [{start_s, end_s, score,
               p_spoof, energy, abstain_logit}]})}; every key is always present (null if unknown)
  CSV  one row per file, columns CSV_COLUMNS; driving_windows as "start-end" seconds joined by ";"
Every file that cannot be used (unreadable, not audio, empty, silent, non-finite, too short) is
reported by name with the reason and the others are still scored; files without an audio suffix
found in a directory are listed as skipped (name one to try it). Exit status: 0 when every file
was scored, 1 when some were rejected, 2 for a usage error (no file found, no or a bad checkpoint,
a bad labels file).

With --labels FILE (a custom-corpus protocol: asnet.data.adapters.custom), the scored files that
FILE labels are also a test set: its metrics, computed by `asnet evaluate`'s code, are written to
--metrics-out and summarised after the output (asnet.eval.labelled).
"""
from __future__ import annotations

import argparse
import csv
import glob
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

from asnet.data.audio import AUDIO_SUFFIXES
from asnet.eval.decision import says_bonafide

SCHEMA = "asnet.detect/1"
MODELS_DIR = Path("results/models")
# The default checkpoint: the newest curriculum stage of the default run that exists.
DEFAULT_RUN = "asnet_s0"
DEFAULT_STAGES = ("adv", "ood", "energy", "sam", "base")
MIN_SECONDS = 0.25  # shorter than a syllable: nothing to judge
DRIVING_WINDOWS = 3
PROGRESS_MIN_FILES = 2
METRICS_OUT = "detect-metrics.json"
CSV_COLUMNS = ["path", "status", "reason", "decision", "p_spoof", "score", "threshold", "energy", "ood",
               "abstain_logit", "abstain", "duration_s", "sample_rate", "channels", "decoder", "n_windows",
               "spoof_windows", "driving_windows"]
RECORD_KEYS = ["path", "status", "reason", "decision", "p_spoof", "score", "threshold", "energy", "ood",
               "abstain_logit", "abstain", "duration_s", "sample_rate", "channels", "decoder", "format",
               "resampled", "downmixed", "windows"]


class UsageError(Exception):
    """Nothing can be scored as asked (exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from asnet.eval.windows import HOP_SECONDS, MAX_CLIP_SECONDS, WINDOW_SECONDS

    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files, directories (recursive) or quoted globs")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", help=f"checkpoint directory (default: the newest of "
                        f"{MODELS_DIR}/{DEFAULT_RUN}/{{{','.join(DEFAULT_STAGES)}}})")
    source.add_argument("--onnx", help="an `asnet export` ONNX file instead of a checkpoint (no torch needed)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON output (schema in `asnet detect` docs)")
    fmt.add_argument("--csv", action="store_true", help="CSV output, one row per file")
    parser.add_argument("--out", help="write the output to this file instead of stdout")
    parser.add_argument("--operating-point", default="eer", help="eer (default), far=RATE or frr=RATE, on dev scores")
    parser.add_argument("--max-clip-seconds", type=float, default=MAX_CLIP_SECONDS, help="longer files are scored in windows")
    parser.add_argument("--window-seconds", type=float, default=WINDOW_SECONDS, help="window length for long files")
    parser.add_argument("--hop-seconds", type=float, default=HOP_SECONDS, help="hop between windows of long files")
    parser.add_argument("--min-seconds", type=float, default=MIN_SECONDS, help="shorter files are rejected")
    parser.add_argument("--batch-size", type=int, default=8, help="windows per forward pass")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    labelled = parser.add_argument_group("labelled set (asnet/eval/labelled.py)")
    labelled.add_argument("--labels", help="protocol of the files' labels (CSV/TSV path,label[,system,...] or "
                          "ASVspoof-style): print and write the set's metrics, as `asnet evaluate` computes them")
    labelled.add_argument("--labels-root", help="folder the labels' paths are under (default: the labels file's)")
    labelled.add_argument("--metrics-out", default=METRICS_OUT, help="metrics JSON to write (default: %(default)s)")
    labelled.add_argument("--params", default="params.yaml", help="params file whose `eval` section sets the "
                          "bootstrap and ECE bins, as for `asnet evaluate` (default: %(default)s)")


# --- inputs -----------------------------------------------------------------------------------

def _walk(directory: Path) -> tuple[list[Path], list[Path]]:
    """(files with an audio suffix, other files) under `directory`, recursively, sorted."""
    found = sorted(p for p in directory.rglob("*") if p.is_file())
    return [p for p in found if p.suffix.lower() in AUDIO_SUFFIXES], [p for p in found if p.suffix.lower() not in AUDIO_SUFFIXES]


def collect_inputs(paths: list[str]) -> tuple[list[Path], list[str], list[Path]]:
    """(files to score in order, arguments that matched nothing, files skipped in directories).
    A file named on the command line (or matched by a glob) is tried whatever its suffix; a
    directory contributes its files with an audio suffix, recursively, and lists the others as
    skipped (a transcript beside the recordings is not a failure)."""
    files: list[Path] = []
    missing: list[str] = []
    skipped: list[Path] = []

    def add(path: Path) -> None:
        if path.is_dir():
            audio, other = _walk(path)
            files.extend(audio)
            skipped.extend(other)
        else:
            files.append(path)

    for argument in paths:
        if Path(argument).exists():
            add(Path(argument))
        elif glob.has_magic(argument) and (matches := sorted(glob.glob(argument, recursive=True))):
            for match in matches:
                add(Path(match))
        else:
            missing.append(argument)
    return list(dict.fromkeys(files)), missing, list(dict.fromkeys(skipped))


def default_checkpoint(models_dir: Path = MODELS_DIR) -> Path:
    from asnet.checkpoint import META, WEIGHTS

    for stage in DEFAULT_STAGES:
        candidate = models_dir / DEFAULT_RUN / stage
        if (candidate / META).exists() and (candidate / WEIGHTS).exists():
            return candidate
    raise UsageError(f"no checkpoint in {models_dir / DEFAULT_RUN}/{{{','.join(DEFAULT_STAGES)}}}: "
                     "run `make demo` first or pass --checkpoint DIR")


# --- scorers: waves -> model outputs ------------------------------------------------------------

class TorchScorer:
    """A checkpoint directory, run by torch."""

    def __init__(self, directory: str | Path, device: str):
        from asnet.checkpoint import META, WEIGHTS, load_checkpoint
        from asnet.utils import resolve_device

        directory = Path(directory)
        for name in (META, WEIGHTS):
            if not (directory / name).exists():
                raise UsageError(f"{directory}: not a checkpoint directory ({name} missing)")
        self.device = resolve_device(device)
        self.model, self.meta = load_checkpoint(directory, self.device)
        self.source = {"path": str(directory), "onnx": None}
        self.dev = _dev_scores(directory)

    def __call__(self, waves: list[np.ndarray]) -> dict[str, np.ndarray]:
        from asnet.eval.inference import forward_batch

        return forward_batch(self.model, waves, self.device)


class OnnxScorer:
    """An `asnet export` ONNX file, run by onnxruntime (batch 1: one wave per call)."""

    def __init__(self, path: str | Path):
        try:
            import onnxruntime
        except ImportError as error:
            raise UsageError("--onnx needs onnxruntime (pip install -r requirements.txt)") from error
        try:
            self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            props = self.session.get_modelmeta().custom_metadata_map
            self.meta = json.loads(props["asnet.checkpoint"])
            self.names = json.loads(props["asnet.outputs"])
            dev = json.loads(props["asnet.dev_scores"])
        except Exception as error:  # noqa: BLE001 - any failure means the same: not one of our exports
            raise UsageError(f"{path}: not an `asnet export` ONNX file ({type(error).__name__}: {error})") from error
        self.source = {"path": None, "onnx": str(path)}
        self.dev = (np.array(dev["bonafide"]), np.array(dev["spoof"])) if dev["bonafide"] and dev["spoof"] else (None, None)

    def __call__(self, waves: list[np.ndarray]) -> dict[str, np.ndarray]:
        rows = [self.session.run(self.names, {"wave": np.asarray(w, np.float32)[None]}) for w in waves]
        return {name: np.concatenate([row[k] for row in rows]) for k, name in enumerate(self.names)}


def _dev_scores(directory: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    from asnet.checkpoint import DEV_SCORES
    from asnet.eval.scorefile import read_scores

    if not (directory / DEV_SCORES).exists():
        return None, None
    table = read_scores(directory / DEV_SCORES)
    return table.score[table.labels == 1], table.score[table.labels == 0]


# --- one file -----------------------------------------------------------------------------------

class Judge:
    """Turns model outputs into the reported fields, with the checkpoint's calibration."""

    def __init__(self, meta: dict, threshold: float):
        from asnet.utils import model_sample_rate

        self.sample_rate = model_sample_rate(meta["model"])  # the rate the checkpoint's model was trained at
        self.temperature = float(meta["temperature"])
        self.abstain_threshold = meta.get("abstain_threshold")
        self.ood_threshold = meta.get("ood_threshold")
        self.threshold = threshold

    def p_spoof(self, score) -> np.ndarray:
        from asnet.eval.calibration import spoof_probability

        return spoof_probability(score, self.temperature)

    def fields(self, outputs: dict[str, np.ndarray]) -> dict:
        score, energy, abstain = float(outputs["score"]), float(outputs["energy"]), float(outputs["abstain"])
        abstains = self.abstain_threshold is not None and abstain > self.abstain_threshold
        return {
            "decision": "abstain" if abstains else ("bonafide" if says_bonafide(score, self.threshold) else "spoof"),
            "p_spoof": float(self.p_spoof(score)), "score": score, "threshold": self.threshold,
            "energy": energy, "ood": self.ood_threshold is not None and energy > self.ood_threshold,
            "abstain_logit": abstain, "abstain": abstains,
        }


class _Counted:
    """Iterates blocks and counts their samples."""

    def __init__(self, blocks):
        self.blocks, self.samples = blocks, 0

    def __iter__(self):
        for block in self.blocks:
            self.samples += len(block)
            yield block


def _window_table(starts: list[int], outputs: dict[str, np.ndarray], judge: Judge, policy, silent: int,
                  spoof_side: bool) -> dict:
    from asnet.eval.windows import driving_windows

    scores = outputs["score"]
    p_spoof = judge.p_spoof(scores)
    rate = judge.sample_rate
    listed = [{"start_s": s / rate, "end_s": (s + policy.window) / rate, "score": float(scores[k]),
               "p_spoof": float(p_spoof[k]), "energy": float(outputs["energy"][k]),
               "abstain_logit": float(outputs["abstain"][k])} for k, s in enumerate(starts)]
    return {"window_seconds": policy.window / rate, "hop_seconds": policy.hop / rate,
            "count": len(starts) + silent, "silent": silent, "spoof": int((~says_bonafide(scores, judge.threshold)).sum()),
            "driving": driving_windows(scores, judge.threshold, spoof_side, DRIVING_WINDOWS), "list": listed}


def _score_segments(path: Path, blocks, scorer, policy, batch_size: int):
    """-> (whole clip or None, window starts, stacked window outputs or None, silent windows)."""
    from asnet.eval.windows import has_signal, stream_segments
    from asnet.utils import progress

    whole, starts, batches, pending, silent, bar = None, [], [], [], 0, None

    def flush():
        batches.append(scorer([s.wave for s in pending]))
        starts.extend(s.start for s in pending)
        bar.update(len(pending))
        pending.clear()

    for segment in stream_segments(blocks, policy):
        if segment.whole:
            whole = segment.wave
            continue
        if bar is None:
            bar = progress(desc=path.name, unit="window", leave=False)
        if not has_signal(segment.wave):
            silent += 1
            continue
        pending.append(segment)
        if len(pending) == batch_size:
            flush()
    if pending:
        flush()
    if bar is not None:
        bar.close()
    outputs = {name: np.concatenate([b[name] for b in batches]) for name in batches[0]} if batches else None
    return whole, starts, outputs, silent


def score_file(path: Path, scorer, judge: Judge, policy, min_samples: int, batch_size: int) -> dict:
    """The output record of one file (RECORD_KEYS), scored or rejected with its reason."""
    from asnet.data.audio import AudioError, stream_audio
    from asnet.eval.windows import aggregate, has_signal

    record = dict.fromkeys(RECORD_KEYS)
    record.update(path=str(path), status="rejected")
    rate = judge.sample_rate
    try:
        info, blocks = stream_audio(path, rate)
        record.update(sample_rate=info.sample_rate, channels=info.channels, decoder=info.decoder, format=info.format,
                      resampled=info.sample_rate != rate, downmixed=info.channels > 1)
        counted = _Counted(blocks)
        whole, starts, window_outputs, silent = _score_segments(path, counted, scorer, policy, batch_size)
    except AudioError as error:  # a data problem: this file is rejected, the others are scored
        return {**record, "reason": error.reason}
    record["duration_s"] = counted.samples / rate
    if whole is not None:
        reason = ("empty" if whole.size == 0 else
                  f"too short ({whole.size / rate:.3f} s < {min_samples / rate:g} s)" if whole.size < min_samples
                  else None if has_signal(whole) else "silent")
        if reason:
            return {**record, "reason": reason}
        outputs = {name: values[0] for name, values in scorer([whole]).items()}  # a model error is raised
    elif window_outputs is None:
        return {**record, "reason": f"silent (none of its {silent} windows carries signal)"}
    else:
        outputs = aggregate(window_outputs)
        record["windows"] = _window_table(starts, window_outputs, judge, policy, silent,
                                          spoof_side=not says_bonafide(float(outputs["score"]), judge.threshold))
    if not all(np.isfinite(v).all() for v in outputs.values()):
        return {**record, "reason": "non-finite model output"}
    return {**record, **judge.fields(outputs), "status": "scored"}


# --- output -------------------------------------------------------------------------------------

def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


def _driving_ranges(record: dict) -> list[str]:
    windows = record["windows"]
    return [f"{windows['list'][k]['start_s']:g}-{windows['list'][k]['end_s']:g}" for k in windows["driving"]] if windows else []


def render_csv(report: dict) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in report["files"]:
        windows = record["windows"]
        row = {k: record[k] for k in CSV_COLUMNS if k in record}
        row.update(n_windows=windows["count"] if windows else "", spoof_windows=windows["spoof"] if windows else "",
                   driving_windows=";".join(_driving_ranges(record)))
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _audio_note(record: dict, rate: int) -> str:
    if record["sample_rate"] is None:
        return ""
    native = f"{record['sample_rate'] / 1000:g} kHz {record['channels']} ch"
    return native if not (record["resampled"] or record["downmixed"]) else f"{native} -> {rate / 1000:g} kHz mono"


def render_table(report: dict) -> str:
    header = ["file", "decision", "p_spoof", "score", "energy", "flags", "duration", "audio"]
    rows = []
    for r in report["files"]:
        if r["status"] == "rejected":
            rows.append([r["path"], "rejected", "", "", "", r["reason"], "", _audio_note(r, report["checkpoint"]["sample_rate"])])
            continue
        flags = ",".join(name for name in ("ood", "abstain") if r[name]) or "-"
        rows.append([r["path"], r["decision"], f"{r['p_spoof']:.3f}", f"{r['score']:+.2f}", f"{r['energy']:.2f}",
                     flags, f"{r['duration_s']:.2f} s", _audio_note(r, report["checkpoint"]["sample_rate"])])
    widths = [max(len(str(row[c])) for row in rows + [header]) for c in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header] + rows]
    for r in report["files"]:
        if r["windows"]:
            w = r["windows"]
            driving = ", ".join(f"{_clock(w['list'][k]['start_s'])}-{_clock(w['list'][k]['end_s'])} "
                                f"(score {w['list'][k]['score']:+.2f})" for k in w["driving"])
            lines.append(f"{r['path']}: {w['count']} windows of {w['window_seconds']:g} s every {w['hop_seconds']:g} s "
                         f"({w['silent']} silent, {w['spoof']} alone on the spoof side); decision from their mean "
                         f"score; driven by {driving or 'none'}")
    op, summary = report["operating_point"], report["summary"]
    rates = "" if op["dev_far"] is None else f"; dev FAR {100 * op['dev_far']:.1f} %, FRR {100 * op['dev_frr']:.1f} %"
    rates = f" i.e. p_spoof < {op['p_spoof_at_threshold']:.3f}{rates}"
    lines.append(f"scored {summary['scored']}, rejected {summary['rejected']}, skipped {len(summary['skipped'])}; "
                 f"operating point {op['name']} (bona fide iff score > {op['threshold']:+.3f}{rates}); "
                 f"model {report['checkpoint']['source']}")
    return "\n".join(lines) + "\n"


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from asnet.utils import write_text

    write_text(out, text)


# --- command ------------------------------------------------------------------------------------

def _scorer(args: argparse.Namespace):
    if args.onnx:
        if not Path(args.onnx).is_file():
            raise UsageError(f"{args.onnx}: no such ONNX file")
        return OnnxScorer(args.onnx)
    return TorchScorer(args.checkpoint or default_checkpoint(), args.device)


def _setup(args: argparse.Namespace):
    from asnet.eval import operating_point
    from asnet.eval.windows import WindowPolicy
    from asnet.utils import model_sample_rate

    files, missing, skipped = collect_inputs(args.paths)
    if not files:
        raise UsageError(f"no audio file found in {', '.join(args.paths)}")
    try:
        operating_point.parse(args.operating_point)
    except ValueError as error:
        raise UsageError(str(error)) from error
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    labels = _labels(args, files)
    scorer = _scorer(args)
    rate = model_sample_rate(scorer.meta["model"])  # the checkpoint's rate: its model was trained at it
    if rate is None:
        raise UsageError(f"{scorer.source['path'] or scorer.source['onnx']}: the model config records no sample_rate")
    try:
        policy = WindowPolicy.from_seconds(args.max_clip_seconds, args.window_seconds, args.hop_seconds, rate)
        point = operating_point.fit(args.operating_point, scorer.meta.get("eer_threshold"), *scorer.dev)
    except ValueError as error:
        raise UsageError(str(error)) from error
    return files, missing, skipped, policy, scorer, point, labels


def _labels(args: argparse.Namespace, files: list[Path]):
    """(Labels, their match to the inputs, the params `eval` section), checked before anything is scored; or None."""
    if not args.labels:
        return None
    from asnet.data.adapters.common import PrepareError
    from asnet.eval.labelled import Labels
    from asnet.utils import load_params

    try:
        labels = Labels(Path(args.labels), args.labels_root and Path(args.labels_root))
        return labels, labels.match(files), load_params(args.params)["eval"]
    except (PrepareError, OSError) as error:
        raise UsageError(str(error)) from error


def main(args: argparse.Namespace) -> int:
    from asnet.utils import progress

    try:
        files, missing, skipped, policy, scorer, point, labels = _setup(args)
    except UsageError as error:
        print(f"asnet detect: error: {error}", file=sys.stderr)
        return 2
    judge = Judge(scorer.meta, point.threshold)
    rate = judge.sample_rate
    min_samples = round(args.min_seconds * rate)
    quiet = bool(os.environ.get("ASNET_NO_PROGRESS")) or len(files) < PROGRESS_MIN_FILES
    records = [{**dict.fromkeys(RECORD_KEYS), "path": m, "status": "rejected", "reason": "no such file"} for m in missing]
    for path in progress(files, desc="detect", unit="file", disable=quiet):
        records.append(score_file(path, scorer, judge, policy, min_samples, args.batch_size))
    for record in records:
        if record["status"] == "rejected":
            print(f"asnet detect: rejected {record['path']}: {record['reason']}", file=sys.stderr)
    for path in skipped:
        print(f"asnet detect: skipped {path}: no audio suffix (name the file to try it)", file=sys.stderr)
    meta = scorer.meta
    report = {
        "schema": SCHEMA,
        "checkpoint": {**scorer.source, "source": scorer.source["path"] or scorer.source["onnx"],
                       "stage": meta.get("stage"), "architecture": meta["model"].get("architecture", "asnet"),
                       "train_corpora": meta.get("train_corpora", []), "temperature": judge.temperature,
                       "eer_threshold": meta.get("eer_threshold"), "abstain_threshold": judge.abstain_threshold,
                       "ood_threshold": judge.ood_threshold, "sample_rate": rate},
        "operating_point": {"name": point.name, "threshold": point.threshold, "dev_far": point.dev_far,
                            "dev_frr": point.dev_frr, "p_spoof_at_threshold": float(judge.p_spoof(point.threshold)),
                            "dev_spoof_share": None if scorer.dev[0] is None else
                            len(scorer.dev[1]) / (len(scorer.dev[0]) + len(scorer.dev[1]))},
        "windows": {"max_clip_seconds": policy.max_clip / rate, "window_seconds": policy.window / rate,
                    "hop_seconds": policy.hop / rate},
        "summary": {"scored": sum(r["status"] == "scored" for r in records),
                    "rejected": sum(r["status"] == "rejected" for r in records),
                    "skipped": [str(p) for p in skipped]},
        "files": records,
    }
    text = json.dumps(report, indent=2) + "\n" if args.json else render_csv(report) if args.csv else render_table(report)
    _write(text, args.out)
    if labels:
        _labelled_metrics(args, records, labels, meta, point)
    return 1 if report["summary"]["rejected"] else 0


def _labelled_metrics(args: argparse.Namespace, records: list[dict], labels, meta: dict, point) -> None:
    """Write the labelled set's metrics and print their summary (beside the table, or on stderr
    when stdout carries the JSON or CSV output)."""
    from asnet.eval.labelled import labelled_metrics, summary
    from asnet.utils import write_json

    (table, (found, unlabelled, not_given), config) = labels
    metrics = labelled_metrics(records, table, found, unlabelled, not_given, meta, point.threshold, point.name, config)
    write_json(args.metrics_out, metrics)
    stream = sys.stderr if (args.json or args.csv) and args.out is None else sys.stdout
    stream.write(summary(metrics, args.metrics_out))
