"""`asnet evaluate` on synthetic score files: the metrics JSON, seen/unseen, OOD, t-DCF, refusals."""
import json

import numpy as np
import pytest

from asnet.cli import main as cli_main
from asnet.data.shards import ClipInfo, write_index
from asnet.eval.calibration import spoof_probability
from asnet.eval.metrics import compute_eer, expected_calibration_error, min_tdcf, ood_auroc, roc_auc
from asnet.eval.scorefile import ScoreTable, write_rejects, write_scores
from asnet.utils import write_json

def write_set(path, table: ScoreTable) -> None:
    """A scores TSV as `asnet score` leaves it: with its (here empty) rejects file beside it."""
    write_scores(path, table)
    write_rejects(path.with_name(path.stem + ".rejects.csv"), [])


TEMPERATURE, TAU, EER_THRESHOLD = 1.5, 0.5, 0.7
META = {"model": {}, "stage": "energy", "temperature": TEMPERATURE, "abstain_threshold": TAU,
        "eer_threshold": EER_THRESHOLD, "train_corpora": ["demo"]}


def synthetic_table(seed: int, energy_shift: float = 0.0) -> ScoreTable:
    """Bona fide + seen systems A, B + unseen system C (harder, higher energy)."""
    rng = np.random.default_rng(seed)
    groups = [("bonafide", "bonafide", 40, 1.5), ("spoof", "A", 20, -1.5), ("spoof", "B", 20, -1.0), ("spoof", "C", 20, 0.5)]
    label, system, score = [], [], []
    for lab, sys_, n, mean in groups:
        label += [lab] * n
        system += [sys_] * n
        score.append(rng.normal(mean, 1.0, n))
    score = np.concatenate(score).astype(np.float32)
    n = score.size
    energy = (rng.normal(-3, 1, n) + 2.0 * (np.array(system) == "C") + energy_shift).astype(np.float32)
    alpha = rng.uniform(0.2, 0.8, n).astype(np.float32)
    return ScoreTable(
        utt_id=np.array([f"utt{i:03d}" for i in range(n)]),
        score=score,
        p_spoof=spoof_probability(score, TEMPERATURE),
        energy=energy,
        abstain=(-np.abs(score) + rng.normal(0, 0.3, n)).astype(np.float32),
        label=np.array(label),
        system=np.array(system),
        gate=np.stack([alpha, 1 - alpha], 1),
    )


@pytest.fixture
def setup(tmp_path):
    checkpoint = tmp_path / "ckpt"
    write_json(checkpoint / "checkpoint.json", {**META, "train_systems": ["A", "B"]})
    params = tmp_path / "params.yaml"
    params.write_text("eval:\n  ece_bins: 15\n  bootstrap_resamples: 200\n  bootstrap_seed: 0\n  rc_points: 10\n"
                      "  max_reject_fraction: 0.05\n")
    table = synthetic_table(0)
    write_set(tmp_path / "eval.tsv", table)
    write_rejects(tmp_path / "eval.rejects.csv", [("utt900", "silent"), ("utt901", "empty"), ("utt902", "silent")])
    write_set(tmp_path / "codec.tsv", synthetic_table(1, energy_shift=1.5))
    write_rejects(tmp_path / "codec.rejects.csv", [])
    return tmp_path, checkpoint, params, table


def run(tmp_path, checkpoint, params, scores="eval.tsv", out="m.json", extra=()):
    argv = ["evaluate", "--scores", str(tmp_path / scores), "--checkpoint", str(checkpoint), "--out", str(tmp_path / out), "--params", str(params), *extra]
    return cli_main(argv)


def test_metrics_json(setup):
    tmp_path, checkpoint, params, table = setup
    assert run(tmp_path, checkpoint, params) == 0
    text = (tmp_path / "m.json").read_text()
    metrics = json.loads(text)
    assert text == json.dumps(metrics, indent=2, sort_keys=True) + "\n"

    bonafide, spoof = table.score[table.labels == 1], table.score[table.labels == 0]
    assert metrics["eer_pct"] == pytest.approx(100 * compute_eer(bonafide, spoof)[0], abs=1e-6)
    assert metrics["auc"] == pytest.approx(roc_auc(bonafide, spoof), abs=1e-6)
    low, high = metrics["ci95"]["eer_pct"]
    assert low <= metrics["eer_pct"] <= high
    assert metrics["n"] == {"total": 100, "bonafide": 40, "spoof": 60}
    assert metrics["calibration"]["ece"] == pytest.approx(
        expected_calibration_error(spoof_probability(table.score, TEMPERATURE), table.labels), abs=1e-6
    )

    kept = table.abstain <= TAU
    at_tau = metrics["abstention"]["at_threshold"]
    assert at_tau["n_kept"] == kept.sum() and at_tau["abstain_pct"] == pytest.approx(100 * (1 - kept.mean()), abs=1e-6)
    assert len(metrics["abstention"]["risk_coverage"]["risk"]) == 10
    assert set(metrics["abstention"]["aurc"]) == {"abstain", "energy", "confidence"}
    # every decision metric at the rule asnet detect applies: score > the dev EER threshold
    errors = (table.score > EER_THRESHOLD) != (table.labels == 1)
    assert errors.mean() != ((table.score > 0) != (table.labels == 1)).mean()
    abstention = metrics["abstention"]
    assert abstention["decision_threshold"] == EER_THRESHOLD
    assert abstention["full_coverage_error_rate"] == pytest.approx(errors.mean(), abs=1e-6)
    assert at_tau["error_rate"] == pytest.approx(errors[kept].mean(), abs=1e-6)
    order = np.argsort(table.abstain, kind="mergesort")
    risk = np.cumsum(errors[order]) / np.arange(1, errors.size + 1)
    assert abstention["aurc"]["abstain"] == pytest.approx(risk.mean(), abs=1e-6)

    systems = metrics["per_system"]
    assert [systems[s]["seen"] for s in "ABC"] == [True, True, False]
    assert "seen" not in systems["bonafide"] and systems["bonafide"]["n"] == 40
    assert systems["C"]["eer_pct"] > systems["A"]["eer_pct"]
    assert metrics["seen_unseen"]["unseen"]["systems"] == ["C"] and metrics["seen_unseen"]["seen"]["n_spoof"] == 40
    assert metrics["seen_unseen"]["energy_auroc_unseen_vs_seen"] > 0.8
    assert sum(metrics["gate"]["all"]) == pytest.approx(1.0, abs=1e-5)
    assert metrics["ood"] is None and metrics["tdcf"] is None


def test_rejects_are_counted_and_bounded(setup, capsys):
    """Rejected clips (data problems, asnet score's <set>.rejects.csv) appear in the metrics JSON;
    a set with more than eval.max_reject_fraction of its clips rejected fails the command."""
    tmp_path, checkpoint, params, _ = setup
    assert run(tmp_path, checkpoint, params) == 0
    rejects = json.loads((tmp_path / "m.json").read_text())["rejects"]
    assert rejects == {"total": 3, "by_reason": {"empty": 1, "silent": 2}, "fraction": pytest.approx(3 / 103, abs=1e-6)}
    write_rejects(tmp_path / "eval.rejects.csv", [(f"utt9{i:02d}", "silent") for i in range(6)])  # 6 / 106 > 5 %
    assert run(tmp_path, checkpoint, params, out="over.json") == 2
    assert "6 clips rejected (5.7 %, {'silent': 6}) > eval.max_reject_fraction 0.05" in capsys.readouterr().err
    assert not (tmp_path / "over.json").exists()
    (tmp_path / "eval.rejects.csv").unlink()
    assert run(tmp_path, checkpoint, params, out="unknown.json") == 2  # uncounted rejects are not zero rejects
    assert "eval.rejects.csv: missing" in capsys.readouterr().err


def test_same_inputs_give_byte_identical_json(setup):
    tmp_path, checkpoint, params, _ = setup
    assert run(tmp_path, checkpoint, params, out="a.json") == 0
    assert run(tmp_path, checkpoint, params, out="b.json") == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_ood_auroc_uses_clean_seen_clips_as_in_distribution(setup):
    tmp_path, checkpoint, params, table = setup
    assert run(tmp_path, checkpoint, params, scores="codec.tsv", extra=["--in-distribution", str(tmp_path / "eval.tsv")]) == 0
    ood = json.loads((tmp_path / "m.json").read_text())["ood"]
    in_energy = table.energy[table.system != "C"]
    assert ood["n_in"] == in_energy.size and ood["n_out"] == 100
    assert ood["energy_auroc"] == pytest.approx(ood_auroc(in_energy, synthetic_table(1, 1.5).energy), abs=1e-6)


def test_a_set_with_new_generators_is_out_of_distribution_by_those_generators(setup):
    """A vocoder set keeps the clean bona fide clips beside its copy-syntheses: only the latter are OOD."""
    tmp_path, checkpoint, params, table = setup
    vocoded = synthetic_table(2, energy_shift=1.5)
    vocoded.system = np.where(vocoded.system == "C", "vocoder_x", vocoded.system)
    write_set(tmp_path / "vocoder.tsv", vocoded)
    assert run(tmp_path, checkpoint, params, scores="vocoder.tsv", extra=["--in-distribution", str(tmp_path / "eval.tsv")]) == 0
    ood = json.loads((tmp_path / "m.json").read_text())["ood"]
    in_energy = table.energy[table.system != "C"]
    assert ood["out_systems"] == ["vocoder_x"] and ood["n_out"] == 20
    assert ood["energy_auroc"] == pytest.approx(ood_auroc(in_energy, vocoded.energy[vocoded.system == "vocoder_x"]), abs=1e-6)


def test_cross_corpus_on_a_training_corpus_is_refused(setup, capsys):
    tmp_path, checkpoint, params, _ = setup
    assert run(tmp_path, checkpoint, params, extra=["--corpus", "demo", "--cross-corpus"]) == 2
    assert "refusing a cross-corpus evaluation on 'demo'" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()
    assert run(tmp_path, checkpoint, params, extra=["--cross-corpus"]) == 2
    assert run(tmp_path, checkpoint, params, extra=["--corpus", "in_the_wild", "--cross-corpus"]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["cross_corpus"] is True


def test_seen_systems_from_the_train_index_when_the_checkpoint_lacks_them(setup):
    tmp_path, _, params, _ = setup
    checkpoint = tmp_path / "old_ckpt"
    write_json(checkpoint / "checkpoint.json", META)
    index = tmp_path / "train_index.csv"
    write_index(index, [ClipInfo("t1", 0, 1, "spoof", "A", "s"), ClipInfo("t2", 1, 1, "bonafide", "bonafide", "s")])
    assert run(tmp_path, checkpoint, params, extra=["--train-index", str(index)]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert [metrics["per_system"][s]["seen"] for s in "ABC"] == [True, False, False]
    assert run(tmp_path, checkpoint, params) == 0
    assert json.loads((tmp_path / "m.json").read_text())["seen_unseen"] is None


def test_tdcf_with_asv_scores(setup):
    tmp_path, checkpoint, params, table = setup
    rng = np.random.default_rng(3)
    asv = {"target": rng.normal(3, 1, 30), "nontarget": rng.normal(0, 1, 30), "spoof": rng.normal(2, 1, 30)}
    lines = [f"spk {key} {float(s)!r}" for key, values in asv.items() for s in values]
    (tmp_path / "asv.txt").write_text("\n".join(lines) + "\n")
    assert run(tmp_path, checkpoint, params, extra=["--asv-scores", str(tmp_path / "asv.txt")]) == 0
    tdcf = json.loads((tmp_path / "m.json").read_text())["tdcf"]
    args = (table.score[table.labels == 1], table.score[table.labels == 0], asv["target"], asv["nontarget"], asv["spoof"])
    assert tdcf["min_tdcf_2021"] == pytest.approx(min_tdcf(*args, version="2021"), abs=1e-6)
    assert tdcf["min_tdcf_2019"] == pytest.approx(min_tdcf(*args, version="2019"), abs=1e-6)


def test_bad_score_files_are_clear_errors(setup, capsys):
    tmp_path, checkpoint, params, table = setup
    write_set(tmp_path / "spoof_only.tsv", table.subset(table.labels == 0))
    assert run(tmp_path, checkpoint, params, scores="spoof_only.tsv") == 2
    assert "one class is missing: no bona fide scores" in capsys.readouterr().err

    lines = (tmp_path / "eval.tsv").read_text().splitlines()
    for row in (3, 7):
        fields = lines[row].split("\t")
        fields[1] = "nan"
        lines[row] = "\t".join(fields)
    (tmp_path / "nan.tsv").write_text("\n".join(lines) + "\n")
    assert run(tmp_path, checkpoint, params, scores="nan.tsv") == 2
    assert "2 non-finite score values" in (err := capsys.readouterr().err) and "utt002 (nan), utt006 (nan)" in err

    lines[3] = lines[3].replace("nan", "n/a")
    (tmp_path / "text.tsv").write_text("\n".join(lines) + "\n")
    assert run(tmp_path, checkpoint, params, scores="text.tsv") == 2
    assert "score of utt002 is not a number: 'n/a'" in capsys.readouterr().err


def test_several_checkpoints_in_one_call_equal_separate_calls(setup, capsys):
    tmp_path, checkpoint, params, _ = setup
    assert run(tmp_path, checkpoint, params, out="single.json") == 0
    argv = ["evaluate", "--scores", str(tmp_path / "eval.tsv"), str(tmp_path / "codec.tsv"),
            "--checkpoint", str(checkpoint), str(checkpoint), "--out", str(tmp_path / "m1.json"), str(tmp_path / "m2.json"),
            "--params", str(params)]
    assert cli_main(argv) == 0
    assert (tmp_path / "m1.json").read_bytes() == (tmp_path / "single.json").read_bytes()
    assert json.loads((tmp_path / "m2.json").read_text())["set"] == "codec"
    assert cli_main(argv[:-5] + ["--out", str(tmp_path / "m3.json"), "--params", str(params)]) == 2
    assert "same number" in capsys.readouterr().err and not (tmp_path / "m3.json").exists()


def test_directory_form_evaluates_every_set_of_one_checkpoint(setup, capsys):
    tmp_path, checkpoint, params, _ = setup
    scores = tmp_path / "scores"
    scores.mkdir()
    for name, source in (("eval", "eval"), ("codec", "codec"), ("otherc", "eval")):
        for suffix in (".tsv", ".rejects.csv"):
            (scores / f"{name}{suffix}").write_bytes((tmp_path / f"{source}{suffix}").read_bytes())
    write_set(checkpoint / "dev_scores.tsv", synthetic_table(2))
    out = tmp_path / "metrics"
    argv = ["evaluate", "--checkpoint", str(checkpoint), "--scores-dir", str(scores), "--sets", "dev", "eval", "codec",
            "--out-dir", str(out), "--shift-sets", "codec", "--params", str(params)]
    assert cli_main(argv) == 0
    assert {p.name for p in out.iterdir()} == {"dev.json", "eval.json", "codec.json"}
    dev, codec = (json.loads((out / f"{n}.json").read_text()) for n in ("dev", "codec"))
    assert dev["set"] == "dev" and dev["scores"].endswith("dev_scores.tsv") and dev["ood"] is None
    assert codec["ood"]["in_distribution"].endswith("eval.tsv")
    assert run(tmp_path, checkpoint, params, scores="codec.tsv", out="single.json",
               extra=["--in-distribution", str(scores / "eval.tsv")]) == 0
    single = json.loads((tmp_path / "single.json").read_text())
    assert single["ood"]["energy_auroc"] == codec["ood"]["energy_auroc"] and single["eer_pct"] == codec["eer_pct"]
    # a test corpus the checkpoint trained on is refused as cross-corpus, and nothing is written
    refused = tmp_path / "refused"
    argv = ["evaluate", "--checkpoint", str(checkpoint), "--scores-dir", str(scores), "--sets", "eval", "otherc",
            "--out-dir", str(refused), "--cross-corpus-sets", "otherc", "--params", str(params)]
    assert cli_main(argv) == 0 and json.loads((refused / "otherc.json").read_text())["cross_corpus"] is True
    meta = json.loads((checkpoint / "checkpoint.json").read_text())
    write_json(checkpoint / "checkpoint.json", {**meta, "train_corpora": ["demo", "otherc"]})
    argv[argv.index("--out-dir") + 1] = str(tmp_path / "refused2")
    assert cli_main(argv) == 2
    assert "refusing a cross-corpus evaluation on 'otherc'" in capsys.readouterr().err
    assert not (tmp_path / "refused2").exists()


def test_operating_point_at_the_dev_eer_threshold(setup, capsys):
    """What `asnet detect` decides by default, measured on the set: FRR of its bona fide, FAR of
    its spoofs and each class's mean calibrated P(spoof) at the checkpoint's stored threshold."""
    tmp_path, checkpoint, params, table = setup
    write_json(checkpoint / "checkpoint.json", {k: v for k, v in META.items() if k != "eer_threshold"})
    assert run(tmp_path, checkpoint, params) == 2  # no decision rule: nothing to count errors at
    assert "checkpoint has no eer_threshold" in capsys.readouterr().err
    write_json(checkpoint / "checkpoint.json", {**META, "train_systems": ["A", "B"], "eer_threshold": 0.25})
    assert run(tmp_path, checkpoint, params) == 0
    point = json.loads((tmp_path / "m.json").read_text())["operating_point"]
    bonafide, spoof = table.score[table.labels == 1], table.score[table.labels == 0]
    p_spoof = spoof_probability(table.score, TEMPERATURE)
    assert point["frr"] == pytest.approx(np.mean(bonafide <= 0.25), abs=1e-6)
    assert point["far"] == pytest.approx(np.mean(spoof > 0.25), abs=1e-6)
    assert point["bonafide_mean_p_spoof"] == pytest.approx(p_spoof[table.labels == 1].mean(), abs=1e-6)
    assert point["spoof_mean_p_spoof"] == pytest.approx(p_spoof[table.labels == 0].mean(), abs=1e-6)
    assert point["p_spoof_at_threshold"] == pytest.approx(1 / (1 + np.exp(0.25 / TEMPERATURE)), abs=1e-6)
