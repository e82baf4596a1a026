"""Which figures the report draws, the data each one reads, and the data files for `dvc plots`.

Curves drawn from per-clip scores (DET, score and energy histograms, reliability) use one seed
per model: the first seed in params order that has the scores; the captions say so. Curves from
metrics (risk-coverage, robustness, gate weights) are means over seeds, with the spread shown.
A model keeps one look (colour, dash, marker) in every figure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

from asnet.report.collect import Checkpoint, Model, Results, condition
from asnet.report.curves import Det, det, reliability, thin
from asnet.report.tables import attack_models, attacks_in, get


@dataclass
class Figure:
    stem: str      # file stem under figures/
    section: str   # the REPORT.md section it illustrates
    caption: str   # one line: what it shows
    make: Callable = field(repr=False)  # make() -> a matplotlib figure (asnet.report.figures)

    def draw(self, stem) -> list:
        """Write stem.png and stem.pdf."""
        from asnet.report.figures import save

        return save(self.make(), stem)


def model_file(results: Results, model: Model) -> str:
    """The file name of a model in the plot data: its entry, plus the stage when not the default one."""
    return model.entry if model.stage == results.default_stage(model.entry) else f"{model.entry}-{model.stage}"


class Gallery:
    def __init__(self, results: Results):
        self.results = results
        self.main = results.main_models()
        ordered = self.main + [m for m in results.curriculum() if m is not None] + results.by_role("ablation")
        self.styles: dict[tuple[str, str], int] = {}
        for m in ordered:
            self.styles.setdefault((m.entry, m.stage), len(self.styles))
        self.dets: dict[tuple[str, str, str], Det] = {}

    def series(self, model: Model):
        from asnet.report.figures import Series

        return Series(model.label, self.styles[(model.entry, model.stage)])

    def scored_sets(self) -> list[str]:
        sets = self.results.sets
        return ["eval", *sets.codecs, *sets.vocoders, *sets.corpora]

    # ------------------------------------------------------------ data
    @staticmethod
    def first_scores(model: Model, test_set: str) -> tuple[Checkpoint | None, object]:
        for ck in model.checkpoints:
            table = ck.scores(test_set)
            if table is not None:
                return ck, table
        return None, None

    def det_of(self, model: Model, test_set: str) -> Det | None:
        key = (model.entry, model.stage, test_set)
        if key not in self.dets:
            _, table = self.first_scores(model, test_set)
            both = table is not None and 0 < table.labels.sum() < len(table)
            self.dets[key] = det(table.score[table.labels == 1], table.score[table.labels == 0]) if both else None
        return self.dets[key]

    # ------------------------------------------------------------ figures
    def figures(self) -> list[Figure]:
        return (self.det_figures() + self.score_figures() + self.energy_figures() + self.gate_figures()
                + self.training_figures() + self.robustness_figures() + self.calibration_figures())

    def det_figures(self) -> list[Figure]:
        from asnet.report.figures import det_figure

        out = []
        for s in self.scored_sets():
            curves = [(self.series(m), d) for m in self.main if (d := self.det_of(m, s)) is not None]
            if curves:
                section = "main" if s == "eval" else "cross_corpus" if s in self.results.sets.corpora else "shift"
                out.append(Figure(f"det_{s}", section, f"DET curves on {s} (one seed per model), EER in the legend.",
                                  partial(det_figure, title=f"DET: {s}", curves=curves)))
        return out

    def score_figures(self) -> list[Figure]:
        from asnet.report.figures import score_histograms

        out = []
        for m in self.main:
            ck, table = self.first_scores(m, "eval")
            if table is None:
                continue
            spoof = sorted(set(table.system[table.labels == 0]))
            systems = {s: table.score[table.system == s] for s in spoof}
            per_system = get(ck.metrics.get("eval"), "per_system") or {}
            unseen = {s for s in spoof if (per_system.get(s) or {}).get("seen") is False}
            out.append(Figure(f"scores_{m.entry}", "main",
                              f"{m.label}: score histograms per spoof system on eval against bona fide ({ck.run.id}).",
                              partial(score_histograms, title=f"{m.label}: eval scores per system ({ck.run.id})",
                                      bonafide=table.score[table.labels == 1], systems=systems, unseen=unseen,
                                      threshold=get(ck.meta, "eer_threshold"))))
        return out

    def energy_figures(self) -> list[Figure]:
        from asnet.report.figures import energy_histograms

        config, sets = self.results.config, self.results.sets
        out = []
        for m in self.main:
            ck, clean = self.first_scores(m, "eval")
            if clean is None:
                continue
            codec = [t.energy for t in map(ck.scores, sets.codecs) if t is not None]
            vocoder = [t.energy[~np.isin(t.system, sorted(set(clean.system)))]
                       for t in map(ck.scores, sets.vocoders) if t is not None]
            result = ck.attack_result(config.claims_attack, config.claims_eps)
            adversarial = np.array([c["adv_energy"] for c in result["per_clip"]]) if result and result.get("per_clip") else None
            groups = [("clean eval", clean.energy), ("codec sets", _concat(codec)), ("vocoder copy-syntheses", _concat(vocoder))]
            attack = f"{config.claims_attack} ε {config.claims_eps:g}"
            caption = f"{m.label} ({ck.run.id}): free-energy histograms of clean, codec-shifted, vocoded and adversarial inputs."
            if adversarial is None:
                caption += f" No adversarial energies: {ck.id} has no {attack} result."
            else:
                groups.append((f"adversarial ({attack})", adversarial))
            out.append(Figure(f"energy_{m.entry}", "shift", caption,
                              partial(energy_histograms, title=f"{m.label}: energy E(x) by input ({ck.run.id})",
                                      groups=groups, threshold=get(ck.meta, "ood_threshold"))))
        return out

    def gate_figures(self) -> list[Figure]:
        from asnet.report.figures import gate_figure

        sets = ["eval", *self.results.sets.shift]
        out = []
        asnet, ablations = self.results.asnet(), self.results.by_role("ablation")
        for stem, models, what in (
            ("gate_curriculum", [m for m in self.results.curriculum() if m is not None], "each curriculum stage"),
            ("gate_ablation", ([asnet] if asnet else []) + ablations if ablations else [], "ASNet and its ablations"),
        ):
            series = []
            for m in models:
                values = [[get(ck.metrics.get(s), "gate.all") for ck in m.checkpoints] for s in sets]
                means = [float(np.mean([v[0] for v in vs if v])) if any(vs) else None for vs in values]
                stds = [float(np.std([v[0] for v in vs if v], ddof=1)) if sum(bool(v) for v in vs) > 1 else None for vs in values]
                if any(x is not None for x in means):
                    series.append((self.series(m), means, stds))
            if series:
                labels = [condition(s) if s != "eval" else "eval (clean)" for s in sets]
                out.append(Figure(stem, "shift", f"Mean spectral gate weight α_spec per test set, {what} (mean ± std over seeds).",
                                  partial(gate_figure, title=f"Fusion gate under shift: {what}", sets=labels, series=series)))
        return out

    def training_figures(self) -> list[Figure]:
        from asnet.report.figures import Series, TrainingCurve, training_figure

        panels = {"train/total": "training loss (total)", "dev/eer": "dev EER (%)"}
        out = []
        for entry, runs in self.results.runs.items():
            curves, boundaries = [], []
            for i, run in enumerate(runs):
                offset, points, starts = 0.0, {label: [] for label in panels.values()}, []
                for stage in run.stages:
                    starts.append((offset + 0.5, stage))
                    stage_curves = self.results.curves.get((run.id, stage)) or {}
                    epochs = 0
                    for name, label in panels.items():
                        for step, value in stage_curves.get(name, []):
                            points[label].append((offset + step + 1, value))
                            epochs = max(epochs, int(step) + 1)
                    offset += epochs
                if any(points.values()):
                    curves.append(TrainingCurve(Series(f"seed {run.seed}", i), points))
                    boundaries = boundaries or (starts if len(starts) > 1 else [])
            if curves:
                label = self.results.model(entry).label if self.results.model(entry) else entry
                out.append(Figure(f"training_{entry}", "training",
                                  f"{label}: training loss and dev EER per epoch through its stages, one line per seed.",
                                  partial(training_figure, title=f"{label}: training curves", panels=list(panels.values()),
                                          curves=curves, boundaries=boundaries)))
        return out

    def budget_curves(self, attack: str):
        from asnet.report.figures import BudgetCurve

        curves = []
        for m in attack_models(self.results):
            by_budget: dict[float, list[dict]] = {}
            for ck in m.checkpoints:
                for row in ck.attack_rows():
                    if row["attack"] == attack:
                        by_budget.setdefault(float(row["budget"]), []).append(row)
            if not by_budget:
                continue
            budgets = sorted(by_budget)
            accuracy = [[100.0 * r["robust_accuracy"] for r in by_budget[b]] for b in budgets]
            eer = [[r["eer_spoof_attacked"] for r in by_budget[b]] for b in budgets]
            curves.append((m, BudgetCurve(self.series(m), np.array(budgets), _means(accuracy), _stds(accuracy),
                                          _means(eer), _stds(eer))))
        return curves

    def robustness_figures(self) -> list[Figure]:
        from asnet.report.figures import robustness_figure

        out = []
        for attack, norm in dict.fromkeys((a, n) for a, n, _ in attacks_in(attack_models(self.results))):
            curves = [c for _, c in self.budget_curves(attack)]
            out.append(Figure(f"robustness_{attack}", "robustness",
                              f"{attack}: robust accuracy and robust EER (adversarial spoofs against clean bona fide) against "
                              "the budget, on each checkpoint's attack subset (mean ± std over seeds).",
                              partial(robustness_figure, title=f"{attack} ({norm})", norm=norm, curves=curves)))
        return out

    def calibration_figures(self) -> list[Figure]:
        from asnet.report.figures import reliability_figure, risk_coverage_figure

        config = self.results.config
        out = []
        clean = [(self.series(m), r) for m in self.main if (r := eval_reliability(m)) is not None]
        attacked = [(self.series(m), r) for m in self.main
                    if (r := attack_reliability(m, config.claims_attack, config.claims_eps)) is not None]
        panels = [("eval (clean)", clean)] if clean else []
        if attacked:
            panels.append((f"under {config.claims_attack} ε {config.claims_eps:g} (attack subset)", attacked))
        if panels:
            out.append(Figure("reliability", "calibration", "Reliability diagrams (ECE bins): accuracy against confidence, "
                              "clean eval and under attack (one seed per model).", partial(reliability_figure, panels=panels)))
        curves = [(self.series(m), *rc) for m in self.main if (rc := risk_coverage(m)) is not None]
        if curves:
            out.append(Figure("risk_coverage", "calibration", "Risk-coverage on eval, abstaining by the abstention logit "
                              "a(x) (mean ± std over seeds).",
                              partial(risk_coverage_figure, title="Selective risk on eval (abstention head)", curves=curves)))
        return out

    # ------------------------------------------------------------ dvc plots data
    def plot_files(self) -> dict[str, str]:
        """{path under plots/: CSV text}: DET/ROC per set and model, robustness per attack and model,
        risk-coverage per model (asnet.report.dvc_plots declares them)."""
        files = {}
        for s in self.scored_sets():
            for m in self.main:
                d = self.det_of(m, s)
                if d is not None:
                    x, y = d.far_deviate, d.frr_deviate
                    keep = thin(x, y)
                    rows = zip(100 * d.far[keep], 100 * d.frr[keep], x[keep], y[keep], 100 * (1 - d.frr[keep]))
                    files[f"det/{s}/{model_file(self.results, m)}.csv"] = _csv(
                        ("far_pct", "frr_pct", "far_deviate", "frr_deviate", "tpr_pct"), rows)
        for attack, _ in dict.fromkeys((a, n) for a, n, _ in attacks_in(attack_models(self.results))):
            for m, c in self.budget_curves(attack):
                files[f"robustness/{attack}/{model_file(self.results, m)}.csv"] = _csv(
                    ("budget", "robust_accuracy_pct", "robust_eer_pct"), zip(c.budgets, c.accuracy, c.eer))
        for m in self.main:
            rc = risk_coverage(m)
            if rc is not None:
                files[f"risk_coverage/{model_file(self.results, m)}.csv"] = _csv(("coverage", "risk_pct"), zip(rc[0], rc[1]))
        return files


def eval_reliability(model: Model):
    """Reliability bins of the first seed with eval scores, P(spoof) with its dev-fitted T."""
    from asnet.eval.calibration import spoof_probability

    for ck in model.checkpoints:
        table, calibration = ck.scores("eval"), get(ck.metrics.get("eval"), "calibration")
        if table is not None and calibration is not None:
            p_spoof = spoof_probability(table.score, calibration["temperature"])
            return reliability(p_spoof, table.labels == 1, int(calibration["ece_bins"]))
    return None


def attack_reliability(model: Model, attack: str, eps: float):
    """Reliability bins of the adversarial clips of the first seed with that attack result."""
    from asnet.eval.calibration import spoof_probability

    for ck in model.checkpoints:
        result, bins = ck.attack_result(attack, eps), get(ck.metrics.get("eval"), "calibration.ece_bins")
        if result and result.get("per_clip") and bins:  # the attack's ECE uses the same bins (eval.ece_bins)
            clips = result["per_clip"]
            p_spoof = spoof_probability(np.array([c["adv_score"] for c in clips]), result["operating_point"]["temperature"])
            return reliability(p_spoof, np.array([c["label"] for c in clips]) == 1, int(bins))
    return None


def risk_coverage(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """(coverage grid, mean risk %, std or None) of the eval risk-coverage curves over seeds."""
    curves = [get(ck.metrics.get("eval"), "abstention.risk_coverage") for ck in model.checkpoints]
    curves = [c for c in curves if c and c.get("coverage")]
    if not curves:
        return None
    coverage = np.array(curves[0]["coverage"], dtype=float)
    risks = np.array([[100.0 * (r if r is not None else np.nan) for r in c["risk"]] for c in curves
                      if len(c["risk"]) == coverage.size])
    spread = np.nanstd(risks, axis=0, ddof=1) if len(risks) > 1 else None
    return coverage, np.nanmean(risks, axis=0), spread


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)


def _means(groups: list[list[float]]) -> np.ndarray:
    return np.array([np.mean(g) for g in groups])


def _stds(groups: list[list[float]]) -> np.ndarray:
    return np.array([np.std(g, ddof=1) if len(g) > 1 else 0.0 for g in groups])


def _csv(header: tuple[str, ...], rows) -> str:
    lines = [",".join(header)]
    lines += [",".join(format(float(v), ".8g") for v in row) for row in rows]
    return "\n".join(lines) + "\n"

