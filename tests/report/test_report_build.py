"""`asnet report` end to end on fake results trees in the real formats: every file written and
linked, numbers consistent with the metrics files, the same bytes twice, and a thin tree (ASNet
alone, one seed missing, no attacks) still renders with its gaps named."""
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from report_fixtures import PARAMS, SPARSE, build_tree

from asnet.cli import main as asnet
from asnet.report.build import build_report
from asnet.report.dvc_plots import entries_for, expected_files
from asnet.report.excerpt import BEGIN, END, check_readme


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    params = build_tree(root)
    built = build_report(params, root / "results", root / "results" / "paper", root / "results" / "paper-excerpt.md")
    return root, built


@pytest.fixture(scope="module")
def sparse(tmp_path_factory):
    root = tmp_path_factory.mktemp("sparse")
    params = build_tree(root, SPARSE, skip=("asnet_s1",), attacks=False)
    built = build_report(params, root / "results", root / "results" / "paper", root / "results" / "paper-excerpt.md")
    return root, built


def files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_every_output_is_written_and_linked(full):
    root, built = full
    out = root / "results" / "paper"
    report = (out / "REPORT.md").read_text()
    written = files(out)
    for name in ("main", "codec", "vocoder", "curriculum", "ablation", "robustness", "sanity", "calibration",
                 "per_system", "claims"):
        assert all(f"tables/{name}{suffix}" in written for suffix in (".md", ".tex", ".csv")), name
        assert f"](tables/{name}.tex)" in report
    figures = sorted(p for p in written if p.startswith("figures/"))
    assert len(figures) == 2 * built.figures
    assert all(len(written[p]) > 1000 for p in figures)
    for kind in ("det_eval", "det_codec_gsm", "det_vocoder_world_harvest", "scores_asnet", "energy_asnet",
                 "gate_curriculum", "gate_ablation", "training_asnet", "robustness_pgd_linf", "robustness_cw_l2",
                 "reliability", "risk_coverage"):
        assert f"figures/{kind}.png" in written and f"figures/{kind}.pdf" in written, kind
    links = re.findall(r"\]\(([^)#]+)\)", report)
    assert links and all((out / link).is_file() for link in links)
    assert {f"figures/{Path(p).stem}.png" for p in figures} <= set(links)
    assert "source commit | `unknown`" in report and hashlib.sha256((root / "params.yaml").read_bytes()).hexdigest() in report
    assert "training 0.25 h (15 of 16 stages record it)" in report  # cmra_off base has no checkpoint.json


def test_tables_agree_with_the_metrics_files(full):
    root, _ = full
    metrics = root / "results" / "metrics"
    eers = [json.loads((metrics / f"asnet_s{s}" / "adv" / "eval.json").read_text())["eer_pct"] for s in (0, 1)]
    main = (root / "results" / "paper" / "tables" / "main.csv").read_text().splitlines()
    row = next(line for line in main if line.startswith("ASNet,eval_eer,"))
    assert float(row.split(",")[2]) == pytest.approx(sum(eers) / 2)
    # the claims check recomputes from the scores what the table reads from the metrics
    claims = json.loads((root / "results" / "paper" / "claims.json").read_text())
    unseen = next(c for c in claims if c["claim"] == "cross_vocoder_auc")
    table = next(line for line in main if line.startswith("ASNet,unseen_auc,"))
    assert unseen["asnet"] == pytest.approx(float(table.split(",")[2]), abs=1e-6)
    # every claim measured (the PGD one on the claims suite's results), none with the clips to decide
    assert {c["verdict"] for c in claims} == {"underpowered"}
    assert all(min(c["clips"].values()) < 200 for c in claims)
    assert all(c["baseline"] == "lcnn" for c in claims)  # rawnet2 is named but not run; trivial is a reference


def test_model_cards_and_plot_data(full):
    root, built = full
    out = root / "results" / "paper"
    cards = sorted(p.name for p in (out / "model_cards").iterdir())
    assert built.cards == len(cards) == 15 and "asnet_s0-adv.md" in cards
    assert "## Robustness to attacks" in (out / "model_cards" / "asnet_s0-adv.md").read_text()
    plots = sorted(str(p.relative_to(out / "plots")) for p in (out / "plots").rglob("*.csv"))
    assert plots == expected_files(PARAMS)
    declared = yaml.safe_load((out / "plots" / "dvc-plots.yaml").read_text())
    assert declared == entries_for(plots)
    det_eval = next(e["det_eval"] for e in declared if "det_eval" in e)
    assert det_eval["y"]["results/paper/plots/det/eval/asnet.csv"] == "frr_deviate"
    header = (out / "plots" / "det" / "eval" / "asnet.csv").read_text().splitlines()[0]
    assert header == "far_pct,frr_pct,far_deviate,frr_deviate,tpr_pct"


def test_readme_excerpt_check(full):
    root, _ = full
    text = (root / "results" / "paper-excerpt.md").read_text()
    assert "**Claims check**" in text and "| ASNet |" in text and "results/paper/REPORT.md" in text
    lock = {"stages": {"demo_report": {"outs": [{"path": "results/demo-paper-excerpt.md",
                                                 "md5": hashlib.md5(text.encode()).hexdigest()}]}}}
    readme = f"# asnet\n\n## Measured\n\n{BEGIN}\n{text}{END}\n\nmore\n"
    assert check_readme(readme, lock) is None
    assert "paste it again" in check_readme(readme.replace("| ASNet |", "| ASNet* |"), lock)
    assert "no " in check_readme("# asnet\n", lock)
    assert "records no output" in check_readme(readme, {"stages": {}})


def test_same_inputs_same_bytes(sparse):
    """A second run in another process, with another string-hash seed (set and dict orders must not leak)."""
    root, _ = sparse
    first = {**files(root / "results" / "paper"), "excerpt": (root / "results" / "paper-excerpt.md").read_bytes()}
    again = root / "again"
    done = subprocess.run([sys.executable, "-m", "asnet", "report", "--params", str(root / "params.yaml"),
                           "--results", str(root / "results"), "--out", str(again / "paper")],
                          env={**os.environ, "PYTHONHASHSEED": "12345"}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "claims:" in done.stdout, done.stderr
    excerpt = (again / "paper-excerpt.md").read_text()  # it names its own report
    second = {**files(again / "paper"),
              "excerpt": excerpt.replace(str(again / "paper"), str(root / "results" / "paper")).encode()}
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_thin_tree_renders_and_names_its_gaps(sparse):
    root, built = sparse
    out = root / "results" / "paper"
    report = (out / "REPORT.md").read_text()
    assert "asnet_s1/base: no checkpoint" in report and "no attack results" in report
    assert "params report names 'lcnn', which params runs does not list" in report
    for absent in ("robustness", "vocoder", "ablation"):  # no attacks, no vocoder sets, no ablations: no table
        assert not (out / "tables" / f"{absent}.md").exists()
    assert not (out / "figures" / "gate_ablation.png").exists()
    claims = json.loads((out / "claims.json").read_text())
    assert {c["verdict"] for c in claims} == {"not measured"}  # no baseline
    assert "no baseline has the data" in claims[0]["note"]
    main = (out / "tables" / "main.md").read_text()
    assert "| ASNet |" in main and "(n=1)" in main and "–" in main
    assert (out / "figures" / "det_eval.png").is_file() and built.figures > 0


def test_bad_params_are_one_line(tmp_path, capsys):
    values = {**PARAMS, "report": {**PARAMS["report"], "typo": 1}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(values))
    assert asnet(["report", "--params", str(tmp_path / "params.yaml"), "--out", str(tmp_path / "paper")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown ['typo']" in error
    assert not (tmp_path / "paper").exists()
