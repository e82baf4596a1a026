"""The `dvc plots` declarations of the report's plot data (top-level `plots:` of dvc.yaml).

The report writes, under <out>/plots/ (asnet.report.gallery):
    det/<set>/<model>.csv             far_pct, frr_pct, far_deviate, frr_deviate, tpr_pct (thinned DET/ROC)
    robustness/<attack>/<model>.csv   budget, robust_accuracy_pct, robust_eer_pct (mean over seeds)
    risk_coverage/<model>.csv         coverage, risk_pct (eval, mean over seeds)
<model> is the runs entry, "-<stage>" added for ASNet's other curriculum stages. One plot overlays
the files of a directory (DVC tells them apart by file name, and revisions by colour in
`dvc plots diff`). `plot_entries(params)` lists what a complete run writes, for the registry to
render into dvc.yaml; the report also writes plots/dvc-plots.yaml for the files it did write.

Light module (params and names only): the registry may import it.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from asnet.report.collect import SANITY_ONLY, default_stage, entry_roles, first_runs
from asnet.report.config import ReportConfig
from asnet.runs import test_set_names

BUDGET = "eps (SNR dB for L2 attacks)"
KINDS = {  # directory -> [(plot id prefix, x, y, x label, y label)]
    "det": [("det", "far_deviate", "frr_deviate", "FAR: spoofs accepted (normal deviate)",
             "FRR: bona fide rejected (normal deviate)"),
            ("roc", "far_pct", "tpr_pct", "FAR: spoofs accepted (%)", "bona fide accepted (%)")],
    # both measures of an attack in one plot (DVC draws each field of a file as a line of its own)
    "robustness": [("robustness", "budget", ["robust_accuracy_pct", "robust_eer_pct"], BUDGET, "robust accuracy, EER (%)")],
    "risk_coverage": [("risk_coverage", "coverage", "risk_pct", "coverage", "risk on kept clips (%)")],
}


def entries_for(files: list[str], root: str = "results/paper/plots") -> list[dict]:
    """Plot declarations overlaying the files of each directory (`files` relative to `root`)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name in sorted(files):
        path = PurePosixPath(name)
        groups.setdefault((path.parts[0], "/".join(path.parts[1:-1])), []).append(name)
    out = []
    for (kind, topic), members in groups.items():
        for prefix, x, y, x_label, y_label in KINDS[kind]:
            plot_id = "_".join(p for p in (prefix, topic.replace("/", "_")) if p)
            out.append({plot_id: {"template": "simple", "x": x, "y": {f"{root}/{m}": y for m in members},
                                  "title": f"{prefix.replace('_', ' ')} {topic}".strip(),
                                  "x_label": x_label, "y_label": y_label}})
    return out


def expected_files(params: dict) -> list[str]:
    """The plot files the report writes when every run of params has all its results."""
    config = ReportConfig.from_params(params)
    roles = entry_roles(params, config)
    suites = params.get("attack", {}).get("suites", {})
    files: list[str] = []
    for entry, run in first_runs(params).items():
        if roles[entry] == "ablation":  # ablations are in the tables, not in these overlays
            continue
        default = default_stage(run, config)
        for stage in run.evaluated if roles[entry] == "asnet" else (default,):
            name = entry if stage == default else f"{entry}-{stage}"
            if stage == default:
                files += [f"det/{s}/{name}.csv" for s in test_set_names(run, params, stage)]
                files.append(f"risk_coverage/{name}.csv")
            suite = suites.get("full" if stage in run.full_attacks else "grid", [])
            files += [f"robustness/{a}/{name}.csv" for a in suite if a not in SANITY_ONLY]
    return sorted(set(files))


def plot_entries(params: dict, out: str = "results/paper") -> list[dict]:
    """What dvc.yaml declares: the DET/ROC curves of eval, risk-coverage and robustness. The
    report writes a DET curve per shift set too, declared in its own plots/dvc-plots.yaml
    (`dvc plots show results/paper/plots/det`): in dvc.yaml they would be two thirds of it."""
    declared = [f for f in expected_files(params) if not f.startswith("det/") or f.startswith("det/eval/")]
    return entries_for(declared, f"{out}/plots")
