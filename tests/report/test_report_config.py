"""params `report:` is checked up front; the dvc plots declarations follow the files they name."""
import copy
from pathlib import Path

import pytest
from report_fixtures import PARAMS

from asnet.report.config import ConfigError, ReportConfig
from asnet.report.dvc_plots import entries_for, expected_files


def test_the_shipped_report_names_only_runs_the_dag_makes():
    """params.yaml's claims baselines are trained runs and its references are runs: an entry that
    never runs would only be reported missing (AASIST and AASIST-L were listed, never trained)."""
    from asnet.runs import PRETRAINED, runs
    from asnet.utils import load_params

    params = load_params(Path(__file__).parents[2] / "params.yaml")
    config = ReportConfig.from_params(params)
    stages = {run.entry: run.stages for run in runs(params)}
    assert set(config.baselines) <= set(stages) and set(config.references) <= set(stages)
    assert all(PRETRAINED not in stages[entry] for entry in config.baselines)


def test_config_reads_every_key():
    config = ReportConfig.from_params(PARAMS)
    assert (config.asnet_entry, config.asnet_stage) == ("asnet", "adv")
    assert config.baselines == ("lcnn", "rawnet2", "aasist") and config.references == ("trivial", "aasist_published")
    assert (config.claims_attack, config.claims_eps, config.resamples, config.seed) == ("pgd_linf", 0.002, 40, 0)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("report"), "no report: section"),
    (lambda p: p["report"].pop("claims"), "missing ['claims']"),
    (lambda p: p["report"]["bootstrap"].update(resamples=0), "resamples must be >= 1"),
    (lambda p: p["report"]["asnet"].update(extra=1), "report.asnet must be a mapping"),
    (lambda p: p["report"].update(baselines="lcnn"), "report.baselines must be a list"),
    (lambda p: p["report"].update(references=["lcnn"]), "more than one of"),
    (lambda p: p["shift"].pop("vocoders"), "no shift.vocoders"),
    (lambda p: p["runs"]["lcnn"].update(config="baselines.nope"), "params runs: cannot resolve"),
])
def test_config_errors_name_the_key(change, message):
    values = copy.deepcopy(PARAMS)
    change(values)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ReportConfig.from_params(values)


def test_plot_entries_overlay_each_directory():
    entries = entries_for(["det/eval/asnet.csv", "det/eval/lcnn.csv", "robustness/pgd_linf/asnet-base.csv",
                           "risk_coverage/asnet.csv"], "results/paper/plots")
    ids = [next(iter(e)) for e in entries]
    assert ids == ["det_eval", "roc_eval", "risk_coverage", "robustness_pgd_linf"]
    assert entries[3]["robustness_pgd_linf"]["y"] == {
        "results/paper/plots/robustness/pgd_linf/asnet-base.csv": ["robust_accuracy_pct", "robust_eer_pct"]}
    det = entries[0]["det_eval"]
    assert det["template"] == "simple" and det["x"] == "far_deviate"
    assert det["y"] == {"results/paper/plots/det/eval/asnet.csv": "frr_deviate",
                        "results/paper/plots/det/eval/lcnn.csv": "frr_deviate"}


def test_expected_files_follow_runs_and_suites():
    names = expected_files(PARAMS)
    assert "det/codec_gsm/aasist_published.csv" in names and "risk_coverage/trivial.csv" in names
    assert "robustness/cw_l2/asnet.csv" in names and "robustness/cw_l2/asnet-base.csv" in names  # full suite
    assert "robustness/pgd_linf/asnet-sam.csv" in names and "robustness/cw_l2/asnet-sam.csv" not in names  # grid
    assert not any("cmra_off" in n for n in names)  # ablations: tables only
    assert not any("unbounded" in n for n in names)  # a sanity check, not a benchmark
