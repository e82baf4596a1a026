"""A small fake results tree in the real formats, for the report tests (imported by name: a module
name no other test folder uses).

Scores are synthetic (each model a separation `quality`), written with asnet.eval.scorefile;
metrics come from the real `asnet evaluate`; attack results from the real attack metrics, summary
rows and sanity checks of asnet.attacks, laid out as asnet.attacks.runner writes them; training
curves in DVCLive's layout. Everything is seeded: the same call writes the same bytes.
"""
from __future__ import annotations

import argparse
import copy
from dataclasses import asdict
from pathlib import Path

import numpy as np
import yaml

from asnet.eval.rejects import rejects_path
from asnet.eval.scorefile import ScoreTable, write_rejects
from asnet.eval.scorefile import write_scores as write_table
from asnet.utils import write_json, write_text

SEEN, UNSEEN = ("sys_a", "sys_b"), ("sys_u",)
PER_SYSTEM = 24  # clips per system (and of bona fide) in eval
CODECS, VOCODERS = ("mp3_16k", "gsm"), ("world_harvest",)  # the shift sets of PARAMS

PARAMS = {
    "corpora": {"train": "demo", "test": []},
    "model": {"architecture": "asnet", "cmra": {"variant": "corridor"}},
    "baselines": {"lcnn": {"architecture": "lcnn"}, "aasist": {"architecture": "aasist"},
                  "trivial": {"architecture": "trivial"}},  # aasist: the published weights' config
    "shift": {"codecs": {name: {"library": "pyav"} for name in CODECS},
              "vocoders": {name: {"family": "world"} for name in VOCODERS}},
    "eval": {"ece_bins": 10, "bootstrap_resamples": 20, "bootstrap_seed": 0, "rc_points": 10, "max_reject_fraction": 0.01},
    "runs": {
        "asnet": {"config": "model", "stages": ["base", "sam", "energy", "ood", "adv"], "seeds": [0, 1],
                  "evaluate": "all", "full_attacks": ["base", "adv"]},
        "cmra_off": {"config": "model", "stages": ["base", "adv"], "seeds": [0], "set": {"model.cmra.variant": "off"}},
        "lcnn": {"config": "baselines.lcnn", "stages": ["base"], "seeds": [0, 1]},
        "trivial": {"config": "baselines.trivial", "stages": ["base"], "seeds": [0]},
        "aasist_published": {"config": "baselines.aasist", "stages": ["pretrained"], "seeds": [0], "weights": "w.pth"},
    },
    "attack": {"suites": {"grid": ["pgd_linf", "pgd_linf_unbounded"], "full": ["pgd_linf", "cw_l2", "pgd_linf_unbounded"]}},
    "report": {"asnet": {"entry": "asnet", "stage": "adv"}, "baselines": ["lcnn", "rawnet2", "aasist"],
               "references": ["trivial", "aasist_published"], "claims": {"attack": "pgd_linf", "eps": 0.002, "min_clips": 200},
               "bootstrap": {"resamples": 40, "seed": 0}},
}
def write_scores(path: Path, table: ScoreTable) -> None:
    """A scores TSV and its rejects file, as `asnet score` writes them (no clip rejected here)."""
    write_table(path, table)
    write_rejects(rejects_path(path), [])


# quality of each (entry, stage): how far apart bona fide and spoof scores lie
QUALITY = {("asnet", "base"): 1.2, ("asnet", "sam"): 1.4, ("asnet", "energy"): 1.5, ("asnet", "ood"): 1.7,
           ("asnet", "adv"): 2.0, ("cmra_off", "adv"): 1.6, ("lcnn", "base"): 1.3, ("aasist", "base"): 1.1,
           ("trivial", "base"): 0.3, ("aasist_published", "pretrained"): 0.6}
ATTACKS = (("pgd_linf", "linf", (0.001, 0.002)), ("cw_l2", "l2", (40.0, 30.0)), ("pgd_linf_unbounded", "linf", (1.0,)))


# a thin tree: ASNet alone (no baselines, references or ablations), one codec, no vocoder; the
# tests also leave out one seed and every attack. The report must still render.
SPARSE = {**copy.deepcopy(PARAMS),
          "shift": {"codecs": {"mp3_16k": {"library": "pyav"}}, "vocoders": {}},
          "runs": {"asnet": {"config": "model", "stages": ["base", "adv"], "seeds": [0, 1], "evaluate": "all"}}}


def params(**report_changes) -> dict:
    out = copy.deepcopy(PARAMS)
    out["report"].update(report_changes)
    return out


def write_params(directory: Path, values: dict) -> Path:
    path = directory / "params.yaml"
    write_text(path, yaml.safe_dump(values, sort_keys=False))
    return path


# ---------------------------------------------------------------- scores
def eval_clips() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    systems = ["bonafide", *SEEN, *UNSEEN]
    system = np.repeat(systems, PER_SYSTEM)
    utt = np.array([f"{s}_{i:03d}" for s in systems for i in range(PER_SYSTEM)])
    label = np.where(system == "bonafide", "bonafide", "spoof")
    return utt, label, system


def score_table(utt, label, system, quality: float, rng, energy_shift: float = 0.0, gate: bool = True) -> ScoreTable:
    bona = label == "bonafide"
    hard = np.isin(system, UNSEEN) | ~np.isin(system, ("bonafide", *SEEN))  # unseen and copy-synthesis spoofs
    mean = np.where(bona, quality, np.where(hard, -0.5 * quality, -quality))
    score = mean + rng.normal(0.0, 1.0, utt.size)
    energy = -5.0 + energy_shift + 0.6 * hard + rng.normal(0.0, 1.0, utt.size)
    alpha = np.clip(0.6 - 0.05 * energy_shift + rng.normal(0.0, 0.02, utt.size), 0.0, 1.0)
    return ScoreTable(utt_id=utt, score=score, p_spoof=1.0 / (1.0 + np.exp(score)), energy=energy,
                      abstain=-np.abs(score), label=label, system=system,
                      gate=np.stack([alpha, 1 - alpha], 1) if gate else None)


def write_checkpoint_scores(root: Path, run_id: str, stage: str, quality: float, seed: int, architecture: str,
                            codecs=CODECS, vocoders=VOCODERS) -> None:
    rng = np.random.default_rng([seed, int(quality * 100)])
    gate = architecture == "asnet"
    utt, label, system = eval_clips()
    models = root / "models" / run_id / stage
    meta = {"model": {"architecture": architecture}, "run": run_id, "seed": seed, "stage": stage, "temperature": 1.0,
            "abstain_threshold": -0.3, "eer_threshold": 0.0, "ood_threshold": -3.0, "train_corpora": ["demo"],
            "train_systems": list(SEEN), "dev": {"eer": 20.0 / quality, "auc": 0.8, "accuracy": 0.8, "energy": -5.0,
                                                 "ce": 0.5}, "wall_s": 60.0}
    write_json(models / "checkpoint.json", meta)
    dev_utt = np.array([u.replace("_", "_dev_") for u in utt[np.isin(system, ("bonafide", *SEEN))]])
    dev_keep = np.isin(system, ("bonafide", *SEEN))
    write_scores(models / "dev_scores.tsv", score_table(dev_utt, label[dev_keep], system[dev_keep], quality, rng, gate=gate))
    scores = root / "scores" / run_id / stage
    write_scores(scores / "eval.tsv", score_table(utt, label, system, quality, rng, gate=gate))
    for i, name in enumerate(codecs):
        write_scores(scores / f"codec_{name}.tsv", score_table(utt, label, system, 0.8 * quality, rng, 1.5 + i, gate))
    bona = label == "bonafide"
    for name in vocoders:
        v_utt = np.concatenate([utt[bona], [f"{u}-{name}" for u in utt[bona]]])
        v_label = np.array(["bonafide"] * bona.sum() + ["spoof"] * bona.sum())
        v_system = np.array(["bonafide"] * bona.sum() + [name] * bona.sum())
        write_scores(scores / f"vocoder_{name}.tsv", score_table(v_utt, v_label, v_system, quality, rng, 1.0, gate))


def evaluate(root: Path, params_path: Path, run_id: str, stage: str, codecs=CODECS, vocoders=VOCODERS) -> None:
    from asnet.eval import evaluate as evaluate_command

    shift = [f"codec_{n}" for n in codecs] + [f"vocoder_{n}" for n in vocoders]
    parser = argparse.ArgumentParser()
    evaluate_command.add_arguments(parser)
    args = parser.parse_args([
        "--checkpoint", str(root / "models" / run_id / stage), "--scores-dir", str(root / "scores" / run_id / stage),
        "--sets", "dev", "eval", *shift, "--shift-sets", *shift, "--out-dir", str(root / "metrics" / run_id / stage),
        "--params", str(params_path)])
    assert evaluate_command.main(args) == 0


# ---------------------------------------------------------------- attacks
def write_attacks(root: Path, run_id: str, stage: str, quality: float, seed: int, suite: list[str],
                  kind: str = "attacks") -> None:
    """Result JSONs and summary.json as asnet.attacks.runner writes them, on a 16-clip subset,
    under <kind>/<run>/<stage> (attacks: the checkpoint's suite; claim_attacks: the claims suite)."""
    from asnet.attacks.config import Sanity
    from asnet.attacks.metrics import ClipOutputs, attack_metrics, clean_metrics
    from asnet.attacks.runner import bpda_vs_naive, summary_row
    from asnet.attacks.sanity import run_checks
    from asnet.attacks.target import OperatingPoint

    rng = np.random.default_rng([seed, int(quality * 100), 7])
    utt, label, system = eval_clips()
    subset = np.random.default_rng(0)  # one subset for every checkpoint, as attack.seed draws it
    pick = np.sort(np.concatenate([subset.choice(np.flatnonzero(label == "bonafide"), 8, replace=False),
                                   subset.choice(np.flatnonzero(label == "spoof"), 8, replace=False)]))
    utt, system, labels = utt[pick], system[pick], (label[pick] == "bonafide").astype(int)
    sign = np.where(labels == 1, 1.0, -1.0)
    clean = ClipOutputs(sign * quality + rng.normal(0, 0.5, pick.size), rng.normal(-5, 1, pick.size), -np.ones(pick.size))
    point = OperatingPoint(threshold=0.0, ood_threshold=-3.0, abstain_threshold=-0.3, temperature=1.0)
    identity = {"checkpoint": f"results/models/{run_id}/{stage}", "checkpoint_digest": "0" * 64, "stage": stage,
                "architecture": "asnet", "shards": "data/cache/demo/eval"}
    clean_block = clean_metrics(clean, labels, point, 10)
    out = root / kind / run_id / stage
    results = []
    for attack, norm, budgets in (a for a in ATTACKS if a[0] in suite):
        shared_wall = 3.0 + rng.random()
        for budget in budgets:
            strength = {"pgd_linf": 1500.0 / quality, "cw_l2": 2.0 * (50 - budget) / quality, "pgd_linf_unbounded": 1e4}[attack]
            push = strength * (budget if norm == "linf" else 0.01)
            adversarial = ClipOutputs(clean.score - sign * push, clean.energy + push / 3, clean.abstain + push / 10)
            snr = np.full(pick.size, 40.0 if norm == "linf" else budget)
            metrics, success = attack_metrics(labels, clean, adversarial, point, "flip", 10, snr, None)
            name = f"{attack}-{'eps' if norm == 'linf' else 'snr'}{budget:g}"
            per_clip = [{"utt_id": u, "system": s, "label": int(y), "clean_score": clean.score[i],
                         "adv_score": adversarial.score[i], "clean_energy": clean.energy[i],
                         "adv_energy": adversarial.energy[i], "clean_abstain": clean.abstain[i],
                         "adv_abstain": adversarial.abstain[i], "linf": budget if norm == "linf" else 0.001,
                         "l2": 0.01, "snr_db": snr[i], "success": bool(success[i]), "queries": None}
                        for i, (u, s, y) in enumerate(zip(utt, system, labels))]
            result = {"name": name, "attack": attack, "norm": norm, "goal": "flip", "knowledge": "white",
                      "surrogates": True, "budget": {"kind": "eps" if norm == "linf" else "snr_db", "value": budget},
                      "settings": {}, "eot": {}, **identity,
                      "subset": {"clips": int(pick.size), "clip_seconds": 1.0, "seed": 0,
                                 "clean_correct": int(((clean.score > 0) == (labels == 1)).sum())},
                      "operating_point": asdict(point), "clean": clean_block, "adversarial": metrics,
                      "wall_s": shared_wall if attack == "cw_l2" else shared_wall * budget * 1000 % 7 + 1,
                      "wall_shared_by_budgets": attack == "cw_l2", "device": "cpu", "fingerprint": "f" * 64,
                      "per_clip": per_clip}
            write_json(out / f"{name}.json", result)
            results.append(result)
    rows = [summary_row(r) for r in results]
    sanity = Sanity(reference_eps=0.002, unbounded_steps=5, unbounded_success=0.99, more_steps_factor=2,
                    more_restarts=2, noise_ratio=0.5, blackbox_margin=0.1, tolerance_clips=1)
    checks = run_checks(rows, sanity)
    write_json(out / "summary.json", {**identity, "suite": "full", "subset": results[0]["subset"],
                                      "operating_point": asdict(point), "clean": clean_block, "results": rows,
                                      "bpda_vs_naive": bpda_vs_naive(rows), "sanity": [c.as_dict() for c in checks],
                                      "passed": all(c.status != "fail" for c in checks)})


# ---------------------------------------------------------------- training curves
def write_curves(root: Path, run_id: str, stage: str, quality: float) -> None:
    live = root / "train" / run_id / stage
    write_json(live / "metrics.json", {"train": {"total": 1.0 / quality}, "dev": {"eer": 20.0 / quality}, "step": 1})
    write_text(live / "plots" / "metrics" / "train" / "total.tsv", f"step\ttotal\n0\t{1.5 / quality}\n1\t{1.0 / quality}\n")
    write_text(live / "plots" / "metrics" / "dev" / "eer.tsv", f"step\teer\n0\t{30.0 / quality}\n1\t{20.0 / quality}\n")


# ---------------------------------------------------------------- the tree
def build_tree(root: Path, values: dict | None = None, skip: tuple[str, ...] = (), attacks: bool = True) -> Path:
    """results/ under `root` for every run of `values` (default PARAMS); `skip` lists run ids
    (e.g. "lcnn_s1") left without any output. Returns the params.yaml path."""
    from asnet.runs import runs

    values = values or PARAMS
    params_path = write_params(root, values)
    results = root / "results"
    for run in runs(values):
        if run.id in skip:
            continue
        for stage in run.stages:
            quality = QUALITY.get((run.entry, stage), 1.0) + 0.1 * run.seed
            if stage != "pretrained" and run.architecture != "trivial":
                write_curves(results, run.id, stage, quality)
            if stage in run.evaluated:
                shift = (list(values["shift"]["codecs"]), list(values["shift"]["vocoders"]))
                write_checkpoint_scores(results, run.id, stage, quality, run.seed, run.architecture, *shift)
                evaluate(results, params_path, run.id, stage, *shift)
                if attacks:
                    suite = values["attack"]["suites"]["full" if stage in run.full_attacks else "grid"]
                    write_attacks(results, run.id, stage, quality, run.seed, suite)
                    report = values["report"]
                    if (run.entry, stage) == (report["asnet"]["entry"], report["asnet"]["stage"]) or (
                            run.entry in report["baselines"] and stage == run.final):
                        write_attacks(results, run.id, stage, quality, run.seed, ["pgd_linf"], "claim_attacks")
    return params_path


# ---------------------------------------------------------------- in memory
def memory_results(root: Path, values: dict, metrics: dict | None = None, attacks: dict | None = None,
                   scores: dict | None = None, claim_attacks: dict | None = None):
    """Results of `values` over an empty results dir, filled by hand: metrics {(run id, stage): {set:
    JSON}}, attacks and claim_attacks {(run id, stage): summary}, scores {(run id, stage, set): ScoreTable}."""
    from asnet.report.collect import collect
    from asnet.report.config import ReportConfig

    results = collect(values, ReportConfig.from_params(values), root)
    for group in results.checkpoints.values():
        for ck in group:
            ck.metrics = dict((metrics or {}).get((ck.run.id, ck.stage), {}))
            ck.attack_summary = (attacks or {}).get((ck.run.id, ck.stage))
            ck.claim_summary = (claim_attacks or {}).get((ck.run.id, ck.stage))
            for (run_id, stage, test_set), table in (scores or {}).items():
                if (run_id, stage) == (ck.run.id, ck.stage):
                    ck._scores[test_set] = table
    return results


def metric(eer: float, auc: float, **extra) -> dict:
    """A metrics JSON with the fields the tables read (asnet.eval.evaluate's names)."""
    out = {"eer_pct": eer, "auc": auc, "ci95": {"eer_pct": [eer - 1, eer + 1], "auc": [auc - 0.01, auc + 0.01]},
           "calibration": {"ece": extra.pop("ece", 0.05), "brier": 0.1, "nll": 0.3, "temperature": 1.0, "ece_bins": 10},
           "abstention": {"aurc": {"abstain": 0.02}, "at_threshold": {"abstain_pct": 10.0}}}
    if "unseen_auc" in extra:
        out["seen_unseen"] = {"unseen": {"auc": extra.pop("unseen_auc"), "eer_pct": extra.pop("unseen_eer", None)}}
    if "ood" in extra:
        out["ood"] = {"energy_auroc": extra.pop("ood")}
    out.update(extra)
    return out
