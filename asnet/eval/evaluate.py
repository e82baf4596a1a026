"""`asnet evaluate`: scores TSV -> metrics JSON (sorted keys, rounded floats) for one
(model, test set).

    asnet evaluate --scores results/scores/asnet/adv/eval.tsv --checkpoint results/models/asnet/adv \\
        --out results/metrics/asnet/adv/eval.json [--params params.yaml]
        [--in-distribution results/scores/asnet/adv/eval.tsv]   # energy OOD-AUROC (this set = OOD)
        [--corpus NAME --cross-corpus]                           # refused if NAME is a training corpus
        [--train-index data/cache/demo/train/index.csv]          # seen systems, if the checkpoint lacks them
        [--asv-scores ASV_SCORES.txt]                            # min t-DCF (2019 legacy + 2021 revised)

The temperature and abstention threshold come from the checkpoint (fitted on dev); nothing is
fitted here, and no score is ever re-oriented with the labels. The clips `asnet score` rejected
(<set>.rejects.csv beside the scores) are counted under "rejects", and a set with more than
params eval.max_reject_fraction of its clips rejected fails the command (asnet.eval.rejects). Metric conventions: see
asnet.eval.metrics, asnet.eval.selective, asnet.eval.calibration.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from asnet.utils import DEFAULT_PARAMS, load_params, write_json


class CrossCorpusError(ValueError):
    """A "cross-corpus" evaluation on a corpus the checkpoint was trained on."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, nargs="+", help="checkpoint directories, one per scores TSV")
    parser.add_argument("--scores-dir", help="directory of <set>.tsv scores of the one --checkpoint")
    parser.add_argument("--sets", nargs="+", help="with --scores-dir: the sets to evaluate (dev = the checkpoint's dev scores)")
    parser.add_argument("--out-dir", help="with --scores-dir: where <set>.json goes")
    parser.add_argument("--shift-sets", nargs="+", default=[], help="with --scores-dir: sets that get the energy OOD-AUROC against eval")
    parser.add_argument("--cross-corpus-sets", nargs="+", default=[], help="with --scores-dir: sets that are other corpora")
    parser.add_argument("--asv", nargs="+", default=[], metavar="SET=FILE", help="with --scores-dir: ASV scores of a set (min t-DCF)")
    parser.add_argument("--scores", nargs="+", help="scores TSVs written by `asnet score`")
    parser.add_argument("--out", nargs="+", help="metrics JSONs to write, one per scores TSV")
    parser.add_argument("--params", default=DEFAULT_PARAMS)
    parser.add_argument("--in-distribution", nargs="+", help="scores TSVs of the clean in-distribution set, one per scores TSV (energy OOD-AUROC)")
    parser.add_argument("--corpus", help="corpus the scored set comes from")
    parser.add_argument("--cross-corpus", action="store_true", help="label this a cross-corpus evaluation")
    parser.add_argument("--train-index", help="train split index.csv, for seen systems when the checkpoint lacks train_systems")
    parser.add_argument("--asv-scores", help="ASV scores `SOURCE KEY SCORE` (KEY target|nontarget|spoof) for min t-DCF")


def check_cross_corpus(meta: dict, corpus: str | None, cross_corpus: bool) -> None:
    if not cross_corpus:
        return
    if not corpus:
        raise CrossCorpusError("--cross-corpus needs --corpus NAME")
    if corpus in meta.get("train_corpora", []):
        raise CrossCorpusError(
            f"refusing a cross-corpus evaluation on {corpus!r}: the checkpoint was trained on {meta['train_corpora']}"
        )


def seen_systems(meta: dict, train_index: str | None) -> set[str] | None:
    """Spoof systems of the training data: meta["train_systems"], else the train split index."""
    if "train_systems" in meta:
        return set(meta["train_systems"])
    if train_index:
        from asnet.data.shards import read_index

        return {c.system for c in read_index(Path(train_index)) if c.label != "bonafide"}
    return None


def read_asv_scores(path: str) -> dict[str, np.ndarray]:
    """ASVspoof 2019-style ASV score file: whitespace-separated `... KEY SCORE` per line."""
    keys, scores = [], []
    with open(path) as f:
        for line in f:
            if line.strip():
                *_, key, score = line.split()
                keys.append(key)
                scores.append(float(score))
    keys, scores = np.array(keys), np.array(scores)
    return {key: scores[keys == key] for key in ("target", "nontarget", "spoof")}


def detection_block(table, config: dict) -> dict:
    from asnet.eval.bootstrap import bootstrap_interval
    from asnet.eval.metrics import compute_eer, roc_auc

    bonafide, spoof = table.score[table.labels == 1], table.score[table.labels == 0]
    eer, threshold = compute_eer(bonafide, spoof)
    resamples, seed = config["bootstrap_resamples"], config["bootstrap_seed"]
    eer_ci = bootstrap_interval(bonafide, spoof, lambda b, s: 100.0 * compute_eer(b, s)[0], resamples, seed)
    auc_ci = bootstrap_interval(bonafide, spoof, roc_auc, resamples, seed)
    return {
        "n": {"total": len(table), "bonafide": int(bonafide.size), "spoof": int(spoof.size)},
        "eer_pct": 100.0 * eer,
        "eer_threshold": threshold,
        "auc": roc_auc(bonafide, spoof),
        "ci95": {"eer_pct": list(eer_ci), "auc": list(auc_ci), "resamples": resamples, "seed": seed},
    }


def calibration_block(table, temperature: float, config: dict) -> dict:
    from asnet.eval.calibration import bonafide_log_odds, spoof_probability
    from asnet.eval.metrics import brier_score, expected_calibration_error, negative_log_likelihood

    p_spoof = spoof_probability(table.score, temperature)
    return {
        "temperature": temperature,
        "ece": expected_calibration_error(p_spoof, table.labels, config["ece_bins"]),
        "ece_bins": config["ece_bins"],
        "brier": brier_score(p_spoof, table.labels),
        "nll": negative_log_likelihood(bonafide_log_odds(table.score, temperature), table.labels),
    }


def operating_point_block(table, meta: dict, threshold: float) -> dict:
    """What a user of the checkpoint gets at its dev-fitted EER threshold (the default operating
    point of `asnet detect`): the error rates on this set and the mean calibrated P(spoof) of each
    class. On held-out bona fide (new speakers, languages, channels) the dev FRR and a low mean
    P(spoof) are what has to carry over."""
    from asnet.eval.calibration import spoof_probability
    from asnet.eval.operating_point import error_rates

    p_spoof = spoof_probability(table.score, meta["temperature"])
    bonafide = table.labels == 1  # both classes are present: detection_block's EER needs them
    far, frr = error_rates(table.score[bonafide], table.score[~bonafide], threshold)
    return {
        "threshold": threshold,
        "p_spoof_at_threshold": float(spoof_probability(np.array([threshold]), meta["temperature"])[0]),
        "frr": frr,
        "far": far,
        "bonafide_mean_p_spoof": float(p_spoof[bonafide].mean()),
        "spoof_mean_p_spoof": float(p_spoof[~bonafide].mean()),
    }


def abstention_block(table, kept: np.ndarray, tau: float | None, decision: float, config: dict) -> dict:
    """Selective metrics at the stored tau, and risk-coverage/AURC for three rejection scores:
    the abstention logit (the deployed rule), the energy, and the closeness of the score to the
    decision threshold. Errors are those of the deployed decision (score > `decision`, the dev
    EER threshold: asnet.eval.decision), not of score > 0."""
    from asnet.eval.decision import decision_errors
    from asnet.eval.selective import aurc, kept_metrics, risk_at_coverages, risk_coverage

    errors = decision_errors(table.score, table.labels, decision)
    rejection = {"abstain": table.abstain, "energy": table.energy, "confidence": -np.abs(table.score - decision)}
    curves = {name: risk_coverage(values, errors) for name, values in rejection.items()}
    grid = np.arange(1, config["rc_points"] + 1) / config["rc_points"]
    return {
        "threshold": tau,
        "decision_threshold": decision,
        "at_threshold": kept_metrics(table.score, table.labels, kept, decision),
        "aurc": {name: aurc(*curve) for name, curve in curves.items()},
        "risk_coverage": {"coverage": list(grid), "risk": risk_at_coverages(*curves["abstain"], grid)},
        "full_coverage_error_rate": float(errors.mean()),
    }


def ood_block(table, in_distribution: str, seen: set[str] | None) -> dict:
    """Energy AUROC, out-of-distribution positive. In-distribution: the clean set's bona fide +
    seen-system clips (all of its clips when the seen systems are unknown). Out: the clips of
    generators the clean set does not contain when this set brings new ones (a vocoder set adds
    copy-syntheses beside untouched bona fide clips), else every clip (a channel shift changes all)."""
    from asnet.eval.metrics import ood_auroc
    from asnet.eval.scorefile import BONAFIDE, read_scores

    clean = read_scores(in_distribution)
    new_systems = sorted(set(table.system) - set(clean.system))
    shifted = table.subset(np.isin(table.system, new_systems)) if new_systems else table
    if seen is not None:
        clean = clean.subset(np.isin(clean.system, sorted(seen | {BONAFIDE})))
    return {
        "in_distribution": in_distribution,
        "out_systems": new_systems or "all",
        "n_in": len(clean),
        "n_out": len(shifted),
        "energy_auroc": ood_auroc(clean.energy, shifted.energy),
    }


def tdcf_block(table, asv_scores: str) -> dict:
    from asnet.eval.metrics import min_tdcf

    asv = read_asv_scores(asv_scores)
    bonafide, spoof = table.score[table.labels == 1], table.score[table.labels == 0]
    args = (bonafide, spoof, asv["target"], asv["nontarget"], asv["spoof"])
    return {"min_tdcf_2021": min_tdcf(*args, version="2021"), "min_tdcf_2019": min_tdcf(*args, version="2019")}


def evaluate(args: argparse.Namespace, config: dict) -> dict:
    from asnet.checkpoint import load_meta
    from asnet.eval import rejects
    from asnet.eval.decision import decision_threshold
    from asnet.eval.metrics import ScoreError
    from asnet.eval.scorefile import read_scores

    meta = load_meta(args.checkpoint)
    check_cross_corpus(meta, args.corpus, args.cross_corpus)
    try:
        decision_threshold(meta)  # fail here, naming the checkpoint, rather than inside set_metrics
    except ValueError as error:
        raise ScoreError(f"{args.checkpoint}: {error}") from None
    table = read_scores(args.scores)
    rejected = rejects.summary(rejects.read_reasons(args.scores), len(table))
    rejects.check_bound(rejected, config["max_reject_fraction"], args.scores)
    seen = seen_systems(meta, args.train_index)
    return {
        "set": getattr(args, "set_name", None) or Path(args.scores).stem,
        "scores": args.scores,
        "corpus": args.corpus,
        "cross_corpus": args.cross_corpus,
        "checkpoint": {
            "path": args.checkpoint,
            "stage": meta.get("stage"),
            "train_corpora": meta.get("train_corpora", []),
            "train_systems": None if seen is None else sorted(seen),
        },
        "rejects": rejected,
        **set_metrics(table, meta, seen, config, args.in_distribution, args.asv_scores),
    }


def set_metrics(table, meta: dict, seen: set[str] | None, config: dict, in_distribution: str | None = None,
                asv_scores: str | None = None) -> dict:
    """The metrics of one scored set under a checkpoint's calibration (meta): what `asnet evaluate`
    writes, and what `asnet detect --labels` computes for a labelled folder."""
    from asnet.eval.breakdown import gate_summary, per_system, seen_unseen
    from asnet.eval.calibration import keeps
    from asnet.eval.decision import decision_threshold

    tau, decision = meta.get("abstain_threshold"), decision_threshold(meta)
    kept = keeps(table.abstain, tau)
    return {
        **detection_block(table, config),
        "calibration": calibration_block(table, meta["temperature"], config),
        "operating_point": operating_point_block(table, meta, decision),
        "abstention": abstention_block(table, kept, tau, decision, config),
        "ood": ood_block(table, in_distribution, seen) if in_distribution else None,
        "per_system": per_system(table, kept, seen),
        "seen_unseen": seen_unseen(table, seen),
        "gate": gate_summary(table),
        "tdcf": tdcf_block(table, asv_scores) if asv_scores else None,
    }


def one_per_set(args: argparse.Namespace) -> list[argparse.Namespace]:
    """The --scores-dir form as one namespace per set of the one checkpoint."""
    from asnet.checkpoint import DEV_SCORES
    from asnet.eval.metrics import ScoreError

    if len(args.checkpoint) != 1 or not args.sets or not args.out_dir:
        raise ScoreError("--scores-dir needs one --checkpoint, --sets and --out-dir")
    unknown = sorted(set(args.shift_sets + args.cross_corpus_sets) - set(args.sets))
    asv = dict(item.split("=", 1) for item in args.asv)
    if unknown or set(asv) - set(args.sets):
        raise ScoreError(f"--shift-sets, --cross-corpus-sets and --asv must name sets of --sets (not {unknown or sorted(asv)})")
    checkpoint, scores_dir = args.checkpoint[0], Path(args.scores_dir)
    calls = []
    for name in args.sets:
        crossed = name in args.cross_corpus_sets
        calls.append(argparse.Namespace(**{
            **vars(args), "checkpoint": checkpoint, "out": str(Path(args.out_dir) / f"{name}.json"),
            "scores": str(Path(checkpoint) / DEV_SCORES if name == "dev" else scores_dir / f"{name}.tsv"),
            "set_name": name, "corpus": name if crossed else args.corpus, "cross_corpus": crossed or args.cross_corpus,
            "in_distribution": str(scores_dir / "eval.tsv") if name in args.shift_sets else None,
            "asv_scores": asv.get(name, args.asv_scores),
        }))
    return calls


def one_per_scores(args: argparse.Namespace) -> list[argparse.Namespace]:
    """Split a multi-checkpoint call into one namespace per (scores, checkpoint, out[, in-distribution])."""
    from asnet.eval.metrics import ScoreError

    if args.scores_dir:
        return one_per_set(args)
    if not args.scores or not args.out:
        raise ScoreError("give --scores and --out (or --scores-dir, --sets and --out-dir)")
    columns = {"scores": args.scores, "checkpoint": args.checkpoint, "out": args.out}
    if args.in_distribution:
        columns["in_distribution"] = args.in_distribution
    if len({len(v) for v in columns.values()}) != 1:
        raise ScoreError(f"give the same number of each of {sorted(columns)}")
    return [argparse.Namespace(**{**vars(args), **dict(zip(columns, row))}) for row in zip(*columns.values())]


def main(args: argparse.Namespace) -> int:
    from asnet.eval.metrics import ScoreError

    config = load_params(args.params)["eval"]
    try:
        calls = one_per_scores(args)
        results = [(call.out, evaluate(call, config)) for call in calls]
    except (ScoreError, CrossCorpusError) as error:
        print(f"asnet evaluate: error: {error}", file=sys.stderr)
        return 2
    for out, metrics in results:
        write_json(out, metrics)
        print(
            f"{metrics['checkpoint']['stage']}/{metrics['set']}: EER {metrics['eer_pct']:.2f} % (95 % CI "
            f"{metrics['ci95']['eer_pct'][0]:.2f}-{metrics['ci95']['eer_pct'][1]:.2f}), AUC {metrics['auc']:.4f}, "
            f"ECE {metrics['calibration']['ece']:.4f} -> {out}"
        )
    return 0
