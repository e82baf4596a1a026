"""The paper's tables, each a function Results -> Table, numbers straight from the metrics and
attack JSONs (nothing is recomputed here except the Brier score under attack, which the attack
results carry per clip but not as a number).

Rows are models: an entry of params `runs` at one stage, mean ± std over its seeds (asnet.report.cells).
Reference rows (params report.references: the trivial-cue shortcut audit, the published weights
trained on another corpus) appear wherever they have values and are never ranked (bold marks the
best of the other rows). A mean over shift conditions is taken over the conditions that every
checkpoint with any value in that column has, so that rows are compared on the same sets; the
caption names them.
"""
from __future__ import annotations

from typing import Callable

from asnet.report.cells import Cell, over_seeds, words
from asnet.report.collect import SANITY_ONLY, Checkpoint, Model, Results, condition, same_budget
from asnet.report.table import Column, Row, Table


def get(tree: dict | None, dotted: str):
    """tree["a"]["b"] for "a.b"; None when any level is missing or null."""
    for part in dotted.split("."):
        if not isinstance(tree, dict) or tree.get(part) is None:
            return None
        tree = tree[part]
    return tree


def scaled(value, scale: float):
    return None if value is None else float(value) * scale


def metric_cell(model: Model, test_set: str, dotted: str, ci: str | None = None, scale: float = 1.0) -> Cell:
    values = [scaled(get(ck.metrics.get(test_set), dotted), scale) for ck in model.checkpoints]
    intervals = [get(ck.metrics.get(test_set), ci) for ck in model.checkpoints] if ci else None
    return over_seeds(values, intervals)


def common_sets(models: list[Model], sets: tuple[str, ...], dotted: str) -> tuple[str, ...]:
    """The sets every checkpoint that has a value of `dotted` in any of `sets` has a value in."""
    taking_part = [ck for m in models for ck in m.checkpoints
                   if any(get(ck.metrics.get(s), dotted) is not None for s in sets)]
    return tuple(s for s in sets if taking_part and all(get(ck.metrics.get(s), dotted) is not None for ck in taking_part))


def mean_cell(model: Model, sets: tuple[str, ...], dotted: str, scale: float = 1.0) -> Cell:
    def mean(ck: Checkpoint):
        values = [get(ck.metrics.get(s), dotted) for s in sets]
        return None if not sets or any(v is None for v in values) else scale * sum(values) / len(values)
    return over_seeds([mean(ck) for ck in model.checkpoints])


def attack_row(ck: Checkpoint, attack: str, budget: float) -> dict | None:
    return next((r for r in ck.attack_rows() if r["attack"] == attack and same_budget(r["budget"], budget)), None)


def attack_cell(model: Model, attack: str, budget: float, value: Callable[[dict, Checkpoint], float | None]) -> Cell:
    def one(ck: Checkpoint):
        row = attack_row(ck, attack, budget)
        return None if row is None else value(row, ck)
    return over_seeds([one(ck) for ck in model.checkpoints])


def percent(key: str) -> Callable[[dict, Checkpoint], float | None]:
    def read(row: dict, _ck) -> float | None:
        value = row[key]["all"] if isinstance(row.get(key), dict) else row.get(key)
        return None if value is None else 100.0 * value
    return read


def brier_under_attack(attack: str, budget: float) -> Callable[[dict, Checkpoint], float | None]:
    """Brier score of the calibrated P(spoof) of the adversarial clips (per-clip scores, the checkpoint's T)."""
    def read(_row: dict, ck: Checkpoint) -> float | None:
        import numpy as np

        from asnet.eval.calibration import spoof_probability
        from asnet.eval.metrics import brier_score

        result = ck.attack_result(attack, budget)
        if not result or not result.get("per_clip"):
            return None
        clips = result["per_clip"]
        p_spoof = spoof_probability(np.array([c["adv_score"] for c in clips]), result["operating_point"]["temperature"])
        return brier_score(p_spoof, np.array([c["label"] for c in clips]))
    return read


def rank_group(model: Model) -> str | None:
    return None if model.role == "reference" else ""


# ---------------------------------------------------------------- column families
class Summary:
    """The summary columns shared by the main, curriculum and ablation tables, with the shift
    conditions common to the table's models."""

    def __init__(self, results: Results, models: list[Model]):
        sets, self.results = results.sets, results
        self.codec_auc = common_sets(models, sets.codecs, "auc")
        self.codec_ood = common_sets(models, sets.codecs, "ood.energy_auroc")
        self.vocoder_auc = common_sets(models, sets.vocoders, "auc")
        self.vocoder_ood = common_sets(models, sets.vocoders, "ood.energy_auroc")
        self.unseen_neural = tuple(s for s, seen in eval_systems(models).items() if seen is False and s in results.neural)

    def note(self) -> str:
        def names(sets):
            return ", ".join(condition(s) for s in sets) or "none"
        parts = [f"{kind} means over: {names(auc)} (AUC), {names(ood)} (OOD-AUROC)"
                 for kind, listed, auc, ood in (("Codec", self.results.sets.codecs, self.codec_auc, self.codec_ood),
                                                ("vocoder", self.results.sets.vocoders, self.vocoder_auc, self.vocoder_ood))
                 if listed]
        if self.unseen_neural:
            parts.append(f"unseen neural TTS: {', '.join(self.unseen_neural)} (mean of their per-system AUCs)")
        return "; ".join(parts) + "." if parts else ""

    def unseen_neural_columns(self) -> list[tuple[Column, Callable[[Model], Cell]]]:
        """AUC of eval's bona fide against each unseen neural system, mean over those systems (none
        when the corpus declares no neural system, or none is unseen)."""
        if not self.unseen_neural:
            return []

        def mean_auc(ck: Checkpoint):
            values = [get(ck.metrics.get("eval"), f"per_system.{s}.auc") for s in self.unseen_neural]
            return None if any(v is None for v in values) else sum(values) / len(values)
        return [(Column("unseen_neural_auc", "unseen neural TTS AUC", "higher", 4),
                 lambda m: over_seeds([mean_auc(ck) for ck in m.checkpoints]))]

    def detection(self) -> list[tuple[Column, Callable[[Model], Cell]]]:
        return [
            (Column("eval_eer", "EER %", "lower", 2), lambda m: metric_cell(m, "eval", "eer_pct", "ci95.eer_pct")),
            (Column("eval_auc", "AUC", "higher", 4), lambda m: metric_cell(m, "eval", "auc", "ci95.auc")),
            (Column("unseen_eer", "unseen EER %", "lower", 2), lambda m: metric_cell(m, "eval", "seen_unseen.unseen.eer_pct")),
            (Column("unseen_auc", "unseen AUC", "higher", 4), lambda m: metric_cell(m, "eval", "seen_unseen.unseen.auc")),
            *self.unseen_neural_columns(),
            (Column("codec_auc", "codec AUC", "higher", 4), lambda m: mean_cell(m, self.codec_auc, "auc")),
            (Column("codec_ood", "codec OOD-AUROC", "higher", 4), lambda m: mean_cell(m, self.codec_ood, "ood.energy_auroc")),
        ]

    def main(self) -> list[tuple[Column, Callable[[Model], Cell]]]:
        return self.detection() + [
            (Column("vocoder_auc", "vocoder AUC", "higher", 4), lambda m: mean_cell(m, self.vocoder_auc, "auc")),
            (Column("vocoder_ood", "vocoder OOD-AUROC", "higher", 4),
             lambda m: mean_cell(m, self.vocoder_ood, "ood.energy_auroc")),
            (Column("ece", "ECE", "lower", 4), lambda m: metric_cell(m, "eval", "calibration.ece")),
        ]

    def staged(self) -> list[tuple[Column, Callable[[Model], Cell]]]:
        config = self.results.config
        attack, eps = config.claims_attack, config.claims_eps
        return self.detection() + [
            (Column("ece", "ECE", "lower", 4), lambda m: metric_cell(m, "eval", "calibration.ece")),
            (Column("aurc", "AURC", "lower", 4), lambda m: metric_cell(m, "eval", "abstention.aurc.abstain")),
            (Column("abstain", "abstain %", None, 1), lambda m: metric_cell(m, "eval", "abstention.at_threshold.abstain_pct")),
            (Column("attack_eer", f"{attack} ε {eps:g} EER %", "lower", 2),
             lambda m: attack_cell(m, attack, eps, lambda r, _: r["eer_spoof_attacked"])),
            (Column("attack_success", f"{attack} ε {eps:g} success %", "lower", 1),
             lambda m: attack_cell(m, attack, eps, percent("success_rate"))),
        ]


def model_table(name: str, title: str, caption: str, models: list[Model],
                columns: list[tuple[Column, Callable[[Model], Cell]]], notes: list[str]) -> Table:
    rows = [Row((m.label,), {c.key: cell(m) for c, cell in columns}, rank_group(m)) for m in models]
    return Table(name, title, caption, ("Model",), [c for c, _ in columns], rows, [n for n in notes if n])


# ---------------------------------------------------------------- the tables
def main_table(results: Results) -> Table:
    models = results.main_models()
    summary = Summary(results, models)
    return model_table(
        "main", "Main results",
        "Each model's final checkpoint (ASNet: the adv stage) on the demo eval set, its unseen systems "
        "(cross-vocoder), the codec and vocoder shift sets (detection AUC and energy OOD-AUROC), and ECE of the "
        "dev-calibrated probabilities.", models, summary.main(), [summary.note()])


def condition_table(results: Results, name: str, title: str, sets: tuple[str, ...], metrics: list[tuple[str, str, str]]) -> Table:
    """One column per condition and metric, plus the mean over the conditions every model has
    (no columns, so no table, when params lists no such condition)."""
    models = results.main_models()
    columns: list[tuple[Column, Callable[[Model], Cell]]] = []
    notes = []
    for dotted, header, key in metrics if sets else ():
        common = common_sets(models, sets, dotted)
        for s in sets:
            columns.append((Column(f"{key}_{condition(s)}", f"{condition(s)} {header}", "higher", 4),
                            lambda m, s=s, dotted=dotted: metric_cell(m, s, dotted)))
        columns.append((Column(f"{key}_mean", f"mean {header}", "higher", 4),
                        lambda m, common=common, dotted=dotted: mean_cell(m, common, dotted)))
        notes.append(f"mean {header} over: {', '.join(condition(s) for s in common) or 'none'}.")
    caption = f"{title}: every condition of params shift, the final checkpoint of each model."
    return model_table(name, title, caption, models, columns, notes)


def codec_table(results: Results) -> Table:
    return condition_table(results, "codec", "Codec shift", results.sets.codecs,
                           [("auc", "AUC", "auc"), ("ood.energy_auroc", "OOD-AUROC", "ood")])


def vocoder_table(results: Results) -> Table:
    return condition_table(results, "vocoder", "Vocoder shift", results.sets.vocoders,
                           [("auc", "AUC", "auc"), ("ood.energy_auroc", "OOD-AUROC", "ood")])


def cross_corpus_table(results: Results) -> Table:
    columns = []
    for corpus in results.sets.corpora:
        columns += [(Column(f"{corpus}_eer", f"{corpus} EER %", "lower", 2),
                     lambda m, c=corpus: metric_cell(m, c, "eer_pct", "ci95.eer_pct")),
                    (Column(f"{corpus}_auc", f"{corpus} AUC", "higher", 4),
                     lambda m, c=corpus: metric_cell(m, c, "auc", "ci95.auc"))]
    return model_table("cross_corpus", "Cross-corpus", "The eval split of every params corpora.test corpus a model "
                       "was not trained on.", results.main_models(), columns, [])


def curriculum_table(results: Results) -> Table:
    models = [m for m in results.curriculum() if m is not None] + results.by_role("reference")
    summary = Summary(results, models)
    return model_table("curriculum", "Curriculum", "ASNet after each curriculum stage (base → sam → energy → ood → "
                       "adv), each warm-started from the previous one.", models, summary.staged(), [summary.note()])


def ablation_table(results: Results) -> Table:
    """No rows (so no table) without ablations."""
    ablations = results.by_role("ablation")
    models = ([m for m in [results.asnet()] if m is not None] + ablations + results.by_role("reference")) if ablations else []
    summary = Summary(results, models)
    return model_table("ablation", "Ablations", "ASNet against each ablation (params runs entries sharing ASNet's "
                       "model config), every one at its final stage.", models, summary.staged(), [summary.note()])


def attack_models(results: Results) -> list[Model]:
    """ASNet at every stage it was attacked, then the other main models."""
    staged = [m for m in results.curriculum() if m is not None and any(ck.attack_summary for ck in m.checkpoints)]
    return staged + [m for m in results.main_models() if m.role != "asnet"]


def attacks_in(models: list[Model]) -> list[tuple[str, str, float]]:
    """(attack, norm, budget) of every benchmark result, in the order the runner wrote them,
    budgets weakest first."""
    found: dict[str, tuple[str, set]] = {}
    for m in models:
        for ck in m.checkpoints:
            for row in ck.attack_rows():
                if row["attack"] not in SANITY_ONLY:
                    found.setdefault(row["attack"], (row["norm"], set()))[1].add(float(row["budget"]))
    return [(attack, norm, b) for attack, (norm, budgets) in found.items()
            for b in sorted(budgets, reverse=norm == "l2")]


def budget_label(norm: str, budget: float) -> str:
    return f"ε {budget:g}" if norm == "linf" else f"SNR {budget:g} dB"


def robustness_table(results: Results) -> Table:
    models = attack_models(results)
    columns = [
        (Column("clean_eer", "clean EER %", "lower", 2), lambda r, ck: ck.attack_summary["clean"]["eer"]),
        (Column("robust_eer", "robust EER %", "lower", 2), lambda r, ck: r["eer_spoof_attacked"]),
        (Column("both_eer", "both-attacked EER %", "lower", 2), lambda r, ck: r["eer_both_attacked"]),
        (Column("robust_accuracy", "robust acc. %", "higher", 1), percent("robust_accuracy")),
        (Column("success", "success %", "lower", 1), percent("success_rate")),
        (Column("undetected", "undetected flips %", "lower", 1), percent("undetected_flip_rate")),
        (Column("caught", "flips caught %", "higher", 1), percent("caught_rate")),
        (Column("snr", "SNR dB", None, 1), lambda r, ck: r["snr_db_mean"]),
        (Column("abstain", "abstain %", None, 1), percent("abstain_rate")),
        (Column("ood", "OOD flag %", None, 1), percent("ood_rate")),
    ]
    rows = []
    for attack, norm, budget in attacks_in(models):
        for m in models:
            cells = {c.key: attack_cell(m, attack, budget, value) for c, value in columns}
            if any(not cell.empty for cell in cells.values()):
                group = None if m.role == "reference" else f"{attack}@{budget:g}"
                rows.append(Row((attack, budget_label(norm, budget), m.label), cells, group))
    caption = ("Clean and robust metrics on each checkpoint's attack subset: robust EER = adversarial spoofs against "
               "clean bona fide; both-attacked = both classes attacked; success = decisions flipped among the clips "
               "decided correctly when clean; flips caught = abstained on or flagged OOD. Best per attack and budget.")
    return Table("robustness", "Robustness", caption, ("Attack", "Budget", "Model"), [c for c, _ in columns], rows, [])


def calibration_table(results: Results) -> Table:
    models = results.main_models()
    attack, eps = results.config.claims_attack, results.config.claims_eps
    codecs = common_sets(models, results.sets.codecs, "calibration.ece")
    columns = [
        (Column("temperature", "T", None, 3), lambda m: metric_cell(m, "eval", "calibration.temperature")),
        (Column("ece", "ECE", "lower", 4), lambda m: metric_cell(m, "eval", "calibration.ece")),
        (Column("brier", "Brier", "lower", 4), lambda m: metric_cell(m, "eval", "calibration.brier")),
        (Column("nll", "NLL", "lower", 4), lambda m: metric_cell(m, "eval", "calibration.nll")),
        (Column("bonafide_p_spoof", "bona fide mean P(spoof)", "lower", 3),
         lambda m: metric_cell(m, "eval", "operating_point.bonafide_mean_p_spoof")),
        (Column("frr", "FRR % at dev EER threshold", "lower", 2),
         lambda m: metric_cell(m, "eval", "operating_point.frr", scale=100.0)),
        (Column("codec_bonafide_p_spoof", "codec bona fide mean P(spoof)", "lower", 3),
         lambda m: mean_cell(m, codecs, "operating_point.bonafide_mean_p_spoof")),
        (Column("codec_ece", "codec ECE", "lower", 4), lambda m: mean_cell(m, codecs, "calibration.ece")),
        (Column("subset_ece", "attack-subset ECE", "lower", 4),
         lambda m: over_seeds([get(ck.attack_summary, "clean.ece") for ck in m.checkpoints])),
        (Column("attack_ece", f"{attack} ε {eps:g} ECE", "lower", 4), lambda m: attack_cell(m, attack, eps, lambda r, _: r["ece"])),
        (Column("attack_brier", f"{attack} ε {eps:g} Brier", "lower", 4),
         lambda m: attack_cell(m, attack, eps, brier_under_attack(attack, eps))),
    ]
    caption = ("Calibration of P(spoof) = sigmoid(-score / T), T fitted on dev: on eval, on the codec sets, and on "
               f"the attack subset clean and under {attack} at ε {eps:g}; on eval's held-out bona fide (speakers and "
               "languages in no other split), the mean P(spoof) and the share rejected at the dev EER threshold "
               "(`asnet detect`'s default operating point).")
    notes = [f"codec ECE over: {', '.join(condition(s) for s in codecs) or 'none'}."]
    return model_table("calibration", "Calibration", caption, models, columns, notes)


def eval_systems(models: list[Model]) -> dict[str, bool | None]:
    """Every spoof system of eval with per-system metrics in any checkpoint -> whether it was seen
    in training (None: unknown), sorted by name."""
    systems: dict[str, bool | None] = {}
    for m in models:
        for ck in m.checkpoints:
            for system, entry in (get(ck.metrics.get("eval"), "per_system") or {}).items():
                if "eer_pct" in entry and systems.get(system) is None:
                    systems[system] = entry.get("seen")
    return dict(sorted(systems.items()))


def system_header(system: str, seen: bool | None, neural: tuple[str, ...]) -> str:
    return system + ("†" if seen is False else "") + (" (neural)" if system in neural else "")


def per_system_tables(results: Results) -> list[Table]:
    """EER and AUC of every spoof system of eval for every model (ablations included), one table each."""
    models = results.main_models() + results.by_role("ablation")
    systems = eval_systems(models)
    neural = [s for s in systems if s in results.neural]
    marks = "; † = unseen in training" + ("; (neural) = neural TTS or vocoder, as the corpus declares "
                                         f"(params prepare_{results.params['corpora']['train']}.neural_systems)"
                                         if neural else "")
    tables = []
    for name, title, dotted, better, digits in (("per_system", "Per-system EER", "eer_pct", "lower", 2),
                                                ("per_system_auc", "Per-system AUC", "auc", "higher", 4)):
        columns = [(Column(f"{name.removeprefix('per_system').strip('_') or 'eer'}_{s}",
                           system_header(s, seen, results.neural), better, digits),
                    lambda m, s=s, dotted=dotted: metric_cell(m, "eval", f"per_system.{s}.{dotted}"))
                   for s, seen in systems.items()]
        caption = f"{title.split()[-1]} of each spoof system of eval against all bona fide clips, every model{marks}."
        tables.append(model_table(name, title, caption, models, columns, []))
    return tables


def per_system_table(results: Results) -> Table:
    return per_system_tables(results)[0]


def per_system_auc_table(results: Results) -> Table:
    return per_system_tables(results)[1]


def rejects_table(results: Results) -> Table:
    """Clips each test set's scoring rejected (data problems: empty, silent, non-finite,
    undecodable), from each metrics JSON's `rejects` block; no table when no metrics carry one."""
    models = results.main_models() + results.by_role("ablation")
    sets = [s for s in dict.fromkeys(n for m in models for ck in m.checkpoints for n in ck.metrics)
            if any(get(ck.metrics.get(s), "rejects") is not None for m in models for ck in m.checkpoints)]
    columns = [(Column(f"rejects_{s}", s, None, 0), lambda m, s=s: metric_cell(m, s, "rejects.total")) for s in sets]
    if columns:
        columns.append((Column("reasons", "reasons (all sets)", align="left"), reject_reasons))
    caption = ("Clips rejected as unusable data when scoring each test set (they are not in its metrics), "
               "mean over seeds; the reasons summed over the sets.")
    return model_table("rejects", "Rejected clips", caption, models, columns, [])


def reject_reasons(model: Model) -> Cell:
    """reason -> count summed over a checkpoint's test sets, mean over its seeds."""
    per_checkpoint = []
    for ck in model.checkpoints:
        counts: dict[str, float] = {}
        for metrics in ck.metrics.values():
            for reason, n in (get(metrics, "rejects.by_reason") or {}).items():
                counts[reason] = counts.get(reason, 0) + n
        per_checkpoint.append(counts)
    reasons = sorted({r for c in per_checkpoint for r in c})
    if not reasons:
        return words("none") if any(get(ms, "rejects") is not None for ck in model.checkpoints
                                    for ms in ck.metrics.values()) else Cell()
    mean = {r: sum(c.get(r, 0) for c in per_checkpoint) / len(per_checkpoint) for r in reasons}
    return words(", ".join(f"{r} {v:g}" for r, v in mean.items()))


def sanity_table(results: Results) -> Table:
    models = attack_models(results) + [m for m in results.by_role("ablation") if any(ck.attack_summary for ck in m.checkpoints)]
    names: dict[str, None] = {}
    for m in models:
        for ck in m.checkpoints:
            names.update((c["name"], None) for c in (ck.attack_summary or {}).get("sanity", []))
    rows = []
    for m in models:
        cells = {}
        for name in names:
            status = [next((c["status"] for c in ck.attack_summary.get("sanity", []) if c["name"] == name), None)
                      for ck in m.checkpoints if ck.attack_summary]
            status = [s for s in status if s]
            if status:
                counts = {s: status.count(s) for s in dict.fromkeys(status)}
                text = status[0] if len(counts) == 1 else ", ".join(f"{s} {n}/{len(status)}" for s, n in counts.items())
                cells[name] = words(text)
        rows.append(Row((m.label,), cells, None))
    caption = "The attack-evaluation sanity checks (asnet.attacks.sanity) of each checkpoint, over its seeds."
    return Table("sanity", "Attack sanity checks", caption, ("Model",), [Column(n, n, align="left") for n in names], rows, [])


TABLES = (main_table, rejects_table, codec_table, vocoder_table, cross_corpus_table, curriculum_table, ablation_table,
          robustness_table, calibration_table, per_system_table, per_system_auc_table, sanity_table)
