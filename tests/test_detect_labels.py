"""`asnet detect PATHS --labels FILE`: the labelled folder's metrics, equal to what `asnet evaluate`
writes for the same scores, with rejects and unlabelled files counted; one-line errors."""
import csv
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_detector import tiny_checkpoint  # noqa: E402

from asnet.cli import main as cli  # noqa: E402
from asnet.eval.rejects import rejects_path  # noqa: E402
from asnet.eval.scorefile import write_rejects  # noqa: E402
from asnet.utils import read_json  # noqa: E402
from tests.data.corpora.custom_fixture import write_custom_corpus  # noqa: E402

PARAMS = str(Path(__file__).resolve().parents[1] / "params.yaml")
SPELLINGS = {"bonafide": "bonafide", "bona-fide": "bonafide", "real": "bonafide", "spoof": "spoof", "fake": "spoof"}
SHARED = ("n", "eer_pct", "eer_threshold", "auc", "ci95", "calibration", "operating_point", "abstention",
          "per_system", "seen_unseen")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "base")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_custom_corpus(tmp_path_factory.mktemp("labelled") / "mydata").parent


def detect(folder: Path, checkpoint: Path, labels: Path, out: Path, *extra: str) -> int:
    return cli(["detect", str(folder), "--checkpoint", str(checkpoint), "--labels", str(labels),
                "--metrics-out", str(out), "--params", PARAMS, *extra])


def scores_tsv(report: dict, protocol: Path, target: Path) -> Path:
    """The detect JSON's scored files as an `asnet score` TSV, labels joined by hand from the protocol."""
    with open(protocol, newline="") as f:
        rows = {str((protocol.parent / r["path"]).resolve()): r for r in csv.DictReader(f)}
    with open(target, "w") as f:
        f.write("utt_id\tscore\tp_spoof\tenergy\tabstain\tlabel\tsystem\n")
        for record in report["files"]:
            if record["status"] != "scored":
                continue
            row = rows[str(Path(record["path"]).resolve())]
            label = SPELLINGS[row["label"].lower()]
            system = "bonafide" if label == "bonafide" else row["system"] or "spoof"
            f.write(f"{Path(row['path']).with_suffix('').as_posix()}\t{record['score']!r}\t{record['p_spoof']!r}\t"
                    f"{record['energy']!r}\t{record['abstain_logit']!r}\t{label}\t{system}\n")
    write_rejects(rejects_path(target), [])  # evaluate reads the rejects beside every scores TSV
    return target


def test_labelled_metrics_equal_asnet_evaluate_on_the_same_scores(folder, checkpoint, tmp_path, capsys):
    out = tmp_path / "metrics.json"
    assert detect(folder, checkpoint, folder / "protocol.csv", out) == 1  # the fixture's bad files are rejected
    printed = capsys.readouterr().out
    metrics = read_json(out)
    assert metrics["counts"] == {"scored": 24, "rejected": 3, "unlabelled_inputs": 0, "labelled_not_given": 1}
    assert sorted(metrics["rejected"]) == sorted(str(folder / f"bad/{n}.wav") for n in ("empty", "silent", "text"))
    assert f"EER {metrics['eer_pct']:.2f} %" in printed and f"AUC {metrics['auc']:.4f}" in printed
    assert "buzz (unseen): 6," in printed and f"metrics -> {out}" in printed
    decided = metrics["decisions"]
    assert set(decided["per_system"]) == {"bonafide", "buzz", "whistle", "spoof"}
    assert 0 <= decided["ood_flag_rate"]["all"] <= 1 and 0 <= decided["abstain_rate"]["all"] <= 1

    report_file = tmp_path / "detect.json"
    assert cli(["detect", str(folder), "--checkpoint", str(checkpoint), "--json", "--out", str(report_file)]) == 1
    tsv = scores_tsv(json.loads(report_file.read_text()), folder / "protocol.csv", tmp_path / "set.tsv")
    evaluated = tmp_path / "evaluated.json"
    assert cli(["evaluate", "--scores", str(tsv), "--checkpoint", str(checkpoint), "--out", str(evaluated),
                "--params", PARAMS]) == 0
    expected = read_json(evaluated)
    assert {key: metrics[key] for key in SHARED} == {key: expected[key] for key in SHARED}


def test_asvspoof_style_labels_match_files_by_name(folder, checkpoint, tmp_path):
    out = tmp_path / "metrics.json"
    detect(folder, checkpoint, folder / "protocol.csv", tmp_path / "csv.json")
    assert detect(folder, checkpoint, folder / "protocol_asvspoof.txt", out) == 1
    metrics, reference = read_json(out), read_json(tmp_path / "csv.json")
    assert metrics["format"] == "asvspoof" and metrics["counts"]["scored"] == 24
    assert metrics["counts"]["unlabelled_inputs"] == 3  # the bad files are not in the ASVspoof-style protocol
    assert metrics["eer_pct"] == reference["eer_pct"] and metrics["auc"] == reference["auc"]


def test_json_output_stays_parseable_and_the_summary_goes_to_stderr(folder, checkpoint, tmp_path, capsys):
    detect(folder / "spk1", checkpoint, folder / "protocol.csv", tmp_path / "m.json", "--json")
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["scored"] == 4
    assert "labelled set" in captured.err
    assert read_json(tmp_path / "m.json")["counts"]["labelled_not_given"] == 24


@pytest.mark.parametrize("protocol, message", [
    ("path,label\nspk1/spk1_a.wav,bonafide\nspk1/spk1_b.flac,bonafide\n", "of classes ['bonafide']"),
    ("path,label\nspk1/spk1_a.wav,bonafide\nspk1/spk1_c.wav,deepfake\n", "line 3: unknown label 'deepfake'"),
    ("path,label\nspk1/spk1_a.wav,bonafide\nspk1/spk1_a.wav,spoof\n", "lines 2 and 3: both are utt_id 'spk1/spk1_a'"),
])
def test_bad_labels_are_one_line_errors_before_anything_is_scored(folder, checkpoint, tmp_path, capsys, protocol,
                                                                   message):
    labels = folder / "labels.csv"
    labels.write_text(protocol)
    assert detect(folder / "spk1", checkpoint, labels, tmp_path / "m.json") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and message in captured.err
    assert not (tmp_path / "m.json").exists()
