"""Each table recomputed from hand-made metrics equals the expected cells; Markdown, LaTeX and CSV
render them (bold best, direction-aware, reference rows unranked, "–" for what is missing)."""
import copy
import csv
import io
import math

from report_fixtures import PARAMS, memory_results, metric

from asnet.report.cells import Cell, over_seeds, render
from asnet.report.table import Column, Row, Table
from asnet.report import tables


def texts(table: Table) -> dict[str, dict[str, str]]:
    """{row label: {column key: Markdown text}} (labels joined by ' / ')."""
    return {" / ".join(r.labels): {c.key: render(table.cell(r, c.key), c.digits) for c in table.columns}
            for r in table.rows}


def bold(table: Table) -> set[tuple[str, str]]:
    return {(" / ".join(table.rows[i].labels), key) for i, key in table.best()}


def test_over_seeds_mean_std_interval_and_missing():
    assert over_seeds([2.0, 4.0]) == Cell(3.0, math.sqrt(2.0), 2, 2)
    assert over_seeds([5.0], [[4.0, 6.0]]) == Cell(5.0, None, 1, 1, (4.0, 6.0))
    assert over_seeds([None, None]).empty
    assert render(over_seeds([2.0, None, 4.0]), 2) == "3.00 ± 1.41 (n=2)"
    assert render(over_seeds([5.0], [[4.0, 6.0]]), 2) == "5.00 [4.00, 6.00]"
    assert render(over_seeds([None]), 2) == "–"
    assert render(over_seeds([-0.0001]), 2) == "0.00"
    assert render(over_seeds([2.0, 4.0]), 2, tex=True) == "3.00 $\\pm$ 1.41"


def main_inputs(tmp_path):
    eval_set = {
        ("asnet_s0", "adv"): metric(2.0, 0.99, unseen_auc=0.95, unseen_eer=6.0, ece=0.02),
        ("asnet_s1", "adv"): metric(4.0, 0.97, unseen_auc=0.93, unseen_eer=8.0, ece=0.04),
        ("lcnn_s0", "base"): metric(5.0, 0.96, unseen_auc=0.90, unseen_eer=10.0, ece=0.01),
        ("trivial_s0", "base"): metric(1.0, 0.999, unseen_auc=0.999, unseen_eer=0.5, ece=0.001),
    }
    codec = {
        ("asnet_s0", "adv"): {"codec_mp3_16k": metric(3, 0.90, ood=0.80), "codec_gsm": metric(3, 0.80, ood=0.70)},
        ("asnet_s1", "adv"): {"codec_mp3_16k": metric(3, 0.92, ood=0.82), "codec_gsm": metric(3, 0.82, ood=0.72)},
        ("lcnn_s0", "base"): {"codec_mp3_16k": metric(3, 0.85, ood=0.75)},  # no gsm result
    }
    metrics = {key: {"eval": m, **codec.get(key, {})} for key, m in eval_set.items()}
    return memory_results(tmp_path, PARAMS, metrics)


def test_main_table_cells(tmp_path):
    table = tables.main_table(main_inputs(tmp_path))
    cells = texts(table)
    assert [r.labels[0] for r in table.rows] == ["ASNet", "LCNN", "Trivial cues", "AASIST (published)"]
    assert cells["ASNet"]["eval_eer"] == "3.00 ± 1.41"
    assert cells["ASNet"]["eval_auc"] == "0.9800 ± 0.0141"
    assert cells["LCNN"]["eval_eer"] == "5.00 [4.00, 6.00] (n=1)"  # lcnn_s1 has no metrics
    assert cells["ASNet"]["unseen_auc"] == "0.9400 ± 0.0141"
    # gsm is missing for LCNN, so every codec mean is over mp3_16k only
    assert cells["ASNet"]["codec_auc"] == "0.9100 ± 0.0141"
    assert cells["LCNN"]["codec_ood"] == "0.7500 (n=1)"
    assert "mp3_16k (AUC)" in table.notes[0] and "gsm" not in table.notes[0]
    assert cells["AASIST (published)"]["eval_eer"] == "–"
    assert cells["ASNet"]["vocoder_auc"] == "–"


def test_best_is_direction_aware_and_skips_reference_rows(tmp_path):
    table = tables.main_table(main_inputs(tmp_path))
    marked = bold(table)
    # the trivial-cue row has the lowest EER and ECE but is a reference row: never ranked
    assert ("ASNet", "eval_eer") in marked and ("Trivial cues", "eval_eer") not in marked
    assert ("LCNN", "ece") in marked and ("ASNet", "ece") not in marked
    assert ("ASNet", "eval_auc") in marked
    markdown = table.markdown()
    assert "| ASNet | **3.00 ± 1.41** | **0.9800 ± 0.0141** |" in markdown
    assert "| Trivial cues | 1.00 [0.00, 2.00] |" in markdown


def test_best_marks_ties_as_printed():
    column = Column("eer", "EER %", "lower", 2)
    table = Table("t", "T", "c", ("Model",), [column, Column("snr", "SNR", None, 1)],
                  [Row(("a",), {"eer": Cell(1.001, n=1, seeds=1)}), Row(("b",), {"eer": Cell(1.004, n=1, seeds=1)}),
                   Row(("c",), {"eer": Cell(2.0, n=1, seeds=1)}), Row(("d",), {"eer": Cell()})])
    assert table.best() == {(0, "eer"), (1, "eer")}  # 1.00 and 1.00 as printed


def test_latex_is_booktabs_with_bold_and_escapes(tmp_path):
    latex = tables.main_table(main_inputs(tmp_path)).latex()
    assert "\\toprule" in latex and "\\midrule" in latex and "\\bottomrule" in latex
    assert "\\textbf{3.00 $\\pm$ 1.41}" in latex
    assert "EER \\% $\\downarrow$" in latex and "\\label{tab:main}" in latex
    assert "AASIST (published) & -- &" in latex


def test_csv_is_tidy_and_numeric(tmp_path):
    rows = list(csv.DictReader(io.StringIO(tables.main_table(main_inputs(tmp_path)).csv())))
    eer = next(r for r in rows if r["Model"] == "ASNet" and r["column"] == "eval_eer")
    assert float(eer["mean"]) == 3.0 and math.isclose(float(eer["std"]), math.sqrt(2)) and eer["best"] == "1"
    lcnn = next(r for r in rows if r["Model"] == "LCNN" and r["column"] == "eval_eer")
    assert (lcnn["n"], lcnn["seeds"], lcnn["ci95_low"], lcnn["ci95_high"]) == ("1", "2", "4", "6")


def test_curriculum_and_ablation_rows(tmp_path):
    metrics = {(f"asnet_s{s}", stage): {"eval": metric(10.0 - i - s, 0.9)}
               for s in (0, 1) for i, stage in enumerate(["base", "sam", "energy", "ood", "adv"])}
    metrics[("cmra_off_s0", "adv")] = {"eval": metric(7.5, 0.9)}
    results = memory_results(tmp_path, PARAMS, metrics)
    curriculum = texts(tables.curriculum_table(results))
    assert list(curriculum)[:5] == [f"ASNet ({s})" for s in ["base", "sam", "energy", "ood", "adv"]]
    assert curriculum["ASNet (base)"]["eval_eer"] == "9.50 ± 0.71"
    assert curriculum["ASNet (adv)"]["eval_eer"] == "5.50 ± 0.71"
    ablation = tables.ablation_table(results)
    assert [r.labels[0] for r in ablation.rows] == ["ASNet", "cmra_off", "Trivial cues", "AASIST (published)"]
    assert texts(ablation)["cmra_off"]["eval_eer"] == "7.50 [6.50, 8.50]"
    assert ("ASNet", "eval_eer") in bold(ablation)


def summary(eer_attacked: float, accuracy: float, clean_eer: float = 1.0, ece: float = 0.3) -> dict:
    row = {"name": "pgd_linf-eps0.002", "attack": "pgd_linf", "norm": "linf", "budget": 0.002,
           "eer_spoof_attacked": eer_attacked, "eer_both_attacked": eer_attacked + 10, "robust_accuracy": accuracy,
           "success_rate": {"all": 1 - accuracy}, "undetected_flip_rate": 0.5 * (1 - accuracy), "caught_rate": 0.5,
           "snr_db_mean": 45.0, "abstain_rate": 0.1, "ood_rate": 0.2, "ece": ece, "wall_s": 10.0}
    sanity = [{"name": "budget_monotone", "status": "pass"}, {"name": "unbounded", "status": "fail"}]
    return {"clean": {"eer": clean_eer, "ece": 0.05}, "results": [row], "sanity": sanity}


def test_robustness_calibration_and_sanity_tables(tmp_path):
    attacks = {("asnet_s0", "adv"): summary(10.0, 0.8), ("asnet_s1", "adv"): summary(20.0, 0.6),
               ("lcnn_s0", "base"): summary(50.0, 0.2), ("lcnn_s1", "base"): summary(70.0, 0.1),
               ("asnet_s0", "base"): summary(60.0, 0.3)}
    results = memory_results(tmp_path, PARAMS, {}, attacks)
    robustness = tables.robustness_table(results)
    cells = texts(robustness)
    assert list(cells) == ["pgd_linf / ε 0.002 / ASNet (base)", "pgd_linf / ε 0.002 / ASNet (adv)",
                           "pgd_linf / ε 0.002 / LCNN"]
    adv = cells["pgd_linf / ε 0.002 / ASNet (adv)"]
    assert adv["robust_eer"] == "15.00 ± 7.07" and adv["robust_accuracy"] == "70.0 ± 14.1"
    assert adv["success"] == "30.0 ± 14.1" and adv["snr"] == "45.0 ± 0.0" and adv["abstain"] == "10.0 ± 0.0"
    assert cells["pgd_linf / ε 0.002 / ASNet (base)"]["robust_eer"] == "60.00 (n=1)"
    assert ("pgd_linf / ε 0.002 / ASNet (adv)", "robust_eer") in bold(robustness)
    calibration = texts(tables.calibration_table(results))
    assert calibration["ASNet"]["attack_ece"] == "0.3000 ± 0.0000"
    assert calibration["ASNet"]["attack_brier"] == "–"  # no per-clip result files in memory
    sanity = texts(tables.sanity_table(results))
    assert sanity["ASNet (adv)"] == {"budget_monotone": "pass", "unbounded": "fail"}
    assert sanity["ASNet (base)"]["unbounded"] == "fail"


def test_per_system_marks_unseen(tmp_path):
    per_system = {"sys_a": {"eer_pct": 1.0, "seen": True}, "sys_u": {"eer_pct": 9.0, "seen": False},
                  "bonafide": {"n": 10}}
    metrics = {("asnet_s0", "adv"): {"eval": metric(2, 0.9, per_system=per_system)}}
    table = tables.per_system_table(memory_results(tmp_path, PARAMS, metrics))
    assert [c.header for c in table.columns] == ["sys_a", "sys_u†"]
    assert texts(table)["ASNet"] == {"eer_sys_a": "1.00 (n=1)", "eer_sys_u": "9.00 (n=1)"}


def neural_params() -> dict:
    values = copy.deepcopy(PARAMS)
    values["prepare_demo"] = {"neural_systems": ["sys_n", "sys_p"]}  # the corpus's declaration (sys_p: not in eval)
    return values


def systems(eer_u: float, auc_n: float) -> dict:
    return {"sys_a": {"eer_pct": 1.0, "auc": 0.99, "seen": True}, "sys_u": {"eer_pct": eer_u, "auc": 0.9, "seen": False},
            "sys_n": {"eer_pct": 20.0, "auc": auc_n, "seen": False}, "bonafide": {"n": 10}}


def test_per_system_eer_and_auc_for_every_run_with_neural_systems_marked(tmp_path):
    metrics = {("asnet_s0", "adv"): {"eval": metric(2, 0.9, per_system=systems(9.0, 0.80))},
               ("asnet_s1", "adv"): {"eval": metric(2, 0.9, per_system=systems(11.0, 0.70))},
               ("cmra_off_s0", "adv"): {"eval": metric(2, 0.9, per_system=systems(5.0, 0.60))}}
    results = memory_results(tmp_path, neural_params(), metrics)
    eer, auc = tables.per_system_table(results), tables.per_system_auc_table(results)
    assert [c.header for c in eer.columns] == ["sys_a", "sys_n† (neural)", "sys_u†"]
    assert [c.header for c in auc.columns] == ["sys_a", "sys_n† (neural)", "sys_u†"]
    assert "neural_systems" in eer.caption
    assert texts(eer)["ASNet"]["eer_sys_u"] == "10.00 ± 1.41"
    assert texts(auc)["ASNet"]["auc_sys_n"] == "0.7500 ± 0.0707"
    assert texts(auc)["cmra_off"]["auc_sys_n"] == "0.6000"  # ablations are runs too
    plain = tables.per_system_table(memory_results(tmp_path, PARAMS, metrics))
    assert [c.header for c in plain.columns] == ["sys_a", "sys_n†", "sys_u†"]  # nothing declared neural


def test_main_table_has_an_unseen_neural_tts_column(tmp_path):
    metrics = {("asnet_s0", "adv"): {"eval": metric(2, 0.9, per_system=systems(9.0, 0.80))},
               ("asnet_s1", "adv"): {"eval": metric(2, 0.9, per_system=systems(11.0, 0.70))},
               ("lcnn_s0", "base"): {"eval": metric(2, 0.9, per_system=systems(11.0, 0.50))}}
    table = tables.main_table(memory_results(tmp_path, neural_params(), metrics))
    assert texts(table)["ASNet"]["unseen_neural_auc"] == "0.7500 ± 0.0707"
    assert texts(table)["LCNN"]["unseen_neural_auc"] == "0.5000 (n=1)"
    assert "unseen neural TTS: sys_n" in table.notes[0]
    without = tables.main_table(memory_results(tmp_path, PARAMS, metrics))
    assert "unseen_neural_auc" not in [c.key for c in without.columns]


def test_rejects_are_shown_per_test_set(tmp_path):
    rejects = {"total": 3, "by_reason": {"silent": 2, "empty": 1}}
    metrics = {("asnet_s0", "adv"): {"eval": metric(2, 0.9, rejects=rejects),
                                     "codec_mp3_16k": metric(3, 0.8, rejects={"total": 0, "by_reason": {}})},
               ("asnet_s1", "adv"): {"eval": metric(2, 0.9, rejects={"total": 1, "by_reason": {"silent": 1}}),
                                     "codec_mp3_16k": metric(3, 0.8, rejects={"total": 0, "by_reason": {}})},
               ("lcnn_s0", "base"): {"eval": metric(2, 0.9)}}  # metrics written before rejects were counted
    table = tables.rejects_table(memory_results(tmp_path, PARAMS, metrics))
    cells = texts(table)
    assert [c.header for c in table.columns] == ["eval", "codec_mp3_16k", "reasons (all sets)"]
    assert cells["ASNet"] == {"rejects_eval": "2 ± 1", "rejects_codec_mp3_16k": "0 ± 0", "reasons": "empty 0.5, silent 1.5"}
    assert cells["LCNN"] == {"rejects_eval": "–", "rejects_codec_mp3_16k": "–", "reasons": "–"}
    none = tables.rejects_table(memory_results(tmp_path, PARAMS, {("lcnn_s0", "base"): {"eval": metric(2, 0.9)}}))
    assert none.columns == []  # no metrics count rejects: no table


def test_every_table_renders_with_no_results(tmp_path):
    results = memory_results(tmp_path, PARAMS)
    for make in tables.TABLES:
        table = make(results)
        table.markdown(), table.latex(), table.csv()
        assert all(table.cell(r, c.key).empty for r in table.rows for c in table.columns)
    assert any("no checkpoint" in note for note in results.notes)
    assert any("'rawnet2'" in note for note in results.notes)  # named in report.baselines, not in runs


def test_calibration_table_shows_what_held_out_bona_fide_gets_at_the_operating_point(tmp_path):
    def with_point(bonafide_p: float, frr: float) -> dict:
        return metric(3.0, 0.98, operating_point={"bonafide_mean_p_spoof": bonafide_p, "frr": frr})

    metrics = {("asnet_s0", "adv"): {"eval": with_point(0.20, 0.05)}, ("asnet_s1", "adv"): {"eval": with_point(0.40, 0.15)},
               ("lcnn_s0", "base"): {"eval": with_point(0.30, 0.50)}}
    calibration = tables.calibration_table(memory_results(tmp_path, PARAMS, metrics))
    cells = texts(calibration)
    assert cells["ASNet"]["bonafide_p_spoof"] == "0.300 ± 0.141" and cells["ASNet"]["frr"] == "10.00 ± 7.07"
    assert cells["LCNN"]["bonafide_p_spoof"] == "0.300 (n=1)" and cells["LCNN"]["frr"] == "50.00 (n=1)"
    assert ("ASNet", "frr") in bold(calibration)


def test_what_a_run_is_told_not_to_do_is_not_reported_missing(tmp_path):
    values = copy.deepcopy(PARAMS)
    values["runs"]["trivial"]["attack"] = False
    values["runs"]["aasist_published"].update(test_sets=["eval"], attack=False)
    notes = memory_results(tmp_path, values).notes
    assert "aasist_published_s0/pretrained: no metrics for dev, eval" in notes  # its codec sets were never asked for
    assert not [n for n in notes if n.startswith(("trivial_s0", "aasist_published_s0")) and "no attack results" in n]
    assert any(n.startswith("lcnn_s0/base: no metrics for dev, eval, codec_") for n in notes)  # a full run's gaps still are
    assert any(n.startswith("lcnn_s0/base: no attack results") for n in notes)
