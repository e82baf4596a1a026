"""`asnet prepare custom`: your own protocol (CSV, TSV or ASVspoof-style) over a folder -> the §3
manifest, rejects with reasons, a seeded speaker- or source-disjoint split, one-line errors; and
the registry's prepare/cache stages for a custom corpus named in params."""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from asnet import pipeline
from asnet.cli import main as cli
from asnet.data.manifest import read_manifest, read_rejects
from asnet.utils import load_params, read_json
from tests.data.corpora.custom_fixture import REJECTS, write_custom_corpus

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_custom_corpus(tmp_path_factory.mktemp("custom") / "mydata")


def prepare(protocol: Path, out: Path, *extra: str) -> int:
    return cli(["prepare", "custom", "--protocol", str(protocol), "--out", str(out), "--workers", "1", *extra])


def rewrite(protocol: Path, target: Path, edit) -> Path:
    """A copy of the fixture protocol with `edit(rows)` applied (rows as dicts), beside the audio."""
    with open(protocol, newline="") as f:
        rows = list(csv.DictReader(f))
    rows = edit(rows)
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


def splits_of(rows, key) -> dict[str, set[str]]:
    found = defaultdict(set)
    for row in rows:
        found[getattr(row, key)].add(row.split)
    return found


def test_fixture_folder_becomes_a_manifest_with_rejects_and_a_speaker_disjoint_split(corpus, tmp_path):
    out = tmp_path / "prepared"
    assert prepare(corpus, out) == 0
    rows = read_manifest(out / "manifest.csv")
    assert len(rows) == 24 and {r.corpus for r in rows} == {"custom"}
    by_id = {r.utt_id: r for r in rows}
    # label spellings (Bona-Fide, real, FAKE) and systems (none given -> <name>_spoof)
    assert by_id["spk1/spk1_b"].label == "bonafide" and by_id["spk2/spk2_a"].label == "bonafide"
    assert by_id["spk1/spk1_d"].label == "spoof" and by_id["spk1/spk1_d"].system == "whistle"
    assert by_id["spk2/spk2_d"].system == "custom_spoof" and by_id["spk2/spk2_b"].system == "bonafide"
    assert by_id["spk1/spk1_b"].path.endswith("spk1/spk1_b.flac") and by_id["spk3/spk3_a"].language == "fr"
    rejects = {r["utt_id"]: r["reason"] for r in read_rejects(out / "rejects.csv")}
    assert rejects == {Path(path).with_suffix("").as_posix(): reason for path, reason in REJECTS.items()}
    assert all(len(splits) == 1 for splits in splits_of(rows, "speaker").values())
    assert {r.split for r in rows} == {"train", "dev", "eval"}
    stats = read_json(out / "stats.json")
    assert stats["split"]["rule"] == "ours: seeded group split, disjoint by speaker" and stats["protocol"]["format"] == "csv"
    assert stats["rejects"] == {"empty": 1, "missing": 1, "silent": 1, "unreadable": 1}
    # seeded: the same bytes again, another split with another seed
    again = tmp_path / "again"
    assert prepare(corpus, again) == 0
    assert (again / "manifest.csv").read_bytes() == (out / "manifest.csv").read_bytes()
    other = tmp_path / "other"
    assert prepare(corpus, other, "--seed", "5") == 0
    assert (other / "manifest.csv").read_bytes() != (out / "manifest.csv").read_bytes()


def test_asvspoof_style_and_tsv_protocols_give_the_same_clips(corpus, tmp_path):
    assert prepare(corpus, tmp_path / "csv") == 0
    reference = {r.utt_id.split("/")[1]: (r.label, r.system, r.speaker, r.sha256)
                 for r in read_manifest(tmp_path / "csv" / "manifest.csv")}
    assert prepare(corpus.with_name("protocol_asvspoof.txt"), tmp_path / "asv") == 0
    rows = read_manifest(tmp_path / "asv" / "manifest.csv")
    assert {r.utt_id: (r.label, r.system, r.speaker, r.sha256) for r in rows} == reference
    tsv = corpus.with_name("protocol.tsv")
    tsv.write_text(corpus.read_text().replace(",", "\t"))
    assert prepare(tsv, tmp_path / "tsv") == 0
    assert (tmp_path / "tsv" / "manifest.csv").read_bytes() == (tmp_path / "csv" / "manifest.csv").read_bytes()


def test_source_column_keeps_a_spoof_with_its_original(corpus, tmp_path):
    def one_voice(rows):  # one speaker, so only the source can keep the split honest
        for row in rows:
            row["speaker"] = "narrator"
            row["source"] = row["path"].replace("_c.", "_a.").replace("_d.", "_b.") if row["label"] in ("spoof", "FAKE") else ""
        return rows
    protocol = rewrite(corpus, corpus.with_name("sourced.csv"), one_voice)
    assert prepare(protocol, tmp_path / "out") == 0
    by_id = {r.utt_id: r.split for r in read_manifest(tmp_path / "out" / "manifest.csv")}
    for speaker in range(1, 7):
        assert by_id[f"spk{speaker}/spk{speaker}_c"] == by_id[f"spk{speaker}/spk{speaker}_a"]
        assert by_id[f"spk{speaker}/spk{speaker}_d"] == by_id[f"spk{speaker}/spk{speaker}_b"]
    assert len(set(by_id.values())) == 3
    assert read_json(tmp_path / "out" / "stats.json")["split"]["rule"].endswith("disjoint by source")


def with_split(rows, leak: bool):
    for row in rows:
        number = int(row["speaker"][3:])
        row["split"] = "train" if number <= 4 else "dev" if number == 5 else "test"
    if leak:
        rows[0]["split"] = "eval"  # spk1 now in train and eval
    return rows


def test_split_column_is_used_and_a_speaker_in_two_splits_is_refused_by_name(corpus, tmp_path, capsys):
    clean = rewrite(corpus, corpus.with_name("split.csv"), lambda rows: with_split(rows, leak=False))
    assert prepare(clean, tmp_path / "clean") == 0
    rows = read_manifest(tmp_path / "clean" / "manifest.csv")
    assert {r.speaker: r.split for r in rows}["spk6"] == "eval"  # `test` means eval
    leaky = rewrite(corpus, corpus.with_name("leaky.csv"), lambda rows: with_split(rows, leak=True))
    capsys.readouterr()
    assert prepare(leaky, tmp_path / "leaky") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "spk1 (train, eval)" in err and "--allow-speaker-overlap" in err
    assert not (tmp_path / "leaky" / "manifest.csv").exists()
    assert prepare(leaky, tmp_path / "allowed", "--allow-speaker-overlap") == 0
    assert read_json(tmp_path / "allowed" / "stats.json")["split"]["allow_speaker_overlap"] is True


def test_split_column_that_separates_a_spoof_from_its_original_is_refused(corpus, tmp_path, capsys):
    def leaky(rows):  # every clip its own speaker, so only the source link shows the leak
        for row in rows:
            spoof = row["label"] in ("spoof", "FAKE")
            row.update(speaker=row["path"], split="eval" if spoof else "train",
                       source=row["path"].replace("_c.", "_a.") if spoof else "")
        return rows
    assert prepare(rewrite(corpus, corpus.with_name("sourced_split.csv"), leaky), tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert "source recording(s) in more than one split: spk1/spk1_a (train, eval)" in err


@pytest.mark.parametrize("edit, message", [
    (lambda rows: rows + [dict(rows[2])], "lines 4 and 30: both are utt_id 'spk1/spk1_c'"),
    (lambda rows: rows + [{**rows[0], "path": "spk1/spk1_a.flac"}], "lines 2 and 30: both are utt_id 'spk1/spk1_a'"),
    (lambda rows: [{**r, "label": "genuine"} if i == 5 else r for i, r in enumerate(rows)],
     "line 7: unknown label 'genuine'"),
    (lambda rows: [{**r, "system": "A01"} if i == 0 else r for i, r in enumerate(rows)],
     "line 2: bona fide but system 'A01'"),
    (lambda rows: [{**r, "speker": r["speaker"]} for r in rows], "unknown ['speker']"),
    (lambda rows: [{k: v for k, v in r.items() if k != "speaker"} for r in rows], "no speaker (or source)"),
])
def test_protocol_errors_are_one_line(corpus, tmp_path, capsys, edit, message):
    protocol = rewrite(corpus, corpus.with_name("broken.csv"), edit)
    assert prepare(protocol, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_without_speakers_a_test_only_corpus_is_still_possible(corpus, tmp_path):
    protocol = rewrite(corpus, corpus.with_name("anonymous.csv"),
                       lambda rows: [{"path": r["path"], "label": r["label"]} for r in rows])
    assert prepare(protocol, tmp_path / "out", "--split-fractions", "0", "0", "1") == 0
    rows = read_manifest(tmp_path / "out" / "manifest.csv")
    assert {r.split for r in rows} == {"eval"} and {r.speaker for r in rows} == {"unknown"}


def custom_params(corpus: Path, name: str = "mydata") -> dict:
    params = load_params(REPO / "params.yaml")
    params["corpora"]["test"] = [name]
    params[f"prepare_{name}"] = {"adapter": "custom", "protocol": str(corpus), "root": str(corpus.parent), "seed": 0,
                                 "split_fractions": [0, 0, 1], "allow_speaker_overlap": False}
    return params


def test_params_section_names_the_corpus_for_the_dag(corpus, tmp_path):
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(custom_params(corpus)))
    out = tmp_path / "prepared"
    assert cli(["prepare", "custom", "--name", "mydata", "--params", str(params_file), "--out", str(out)]) == 0
    rows = read_manifest(out / "manifest.csv")
    assert {r.corpus for r in rows} == {"mydata"} and {r.split for r in rows} == {"eval"}
    assert "mydata_spoof" in {r.system for r in rows}
    assert cli(["prepare", "custom", "--name", "nodata", "--params", str(params_file), "--out", str(out)]) == 2
    # a split setting on the command line would be ignored beside params: refused instead
    assert cli(["prepare", "custom", "--name", "mydata", "--seed", "3", "--params", str(params_file),
                "--out", str(out)]) == 2


def test_registry_gives_a_custom_corpus_prepare_and_cache_stages_and_nothing_to_download(corpus):
    params = custom_params(corpus)
    stages = {s.name: s for s in pipeline.stages(params)}
    prepare_stage = stages["prepare_mydata"]
    assert "download_mydata" not in stages
    assert prepare_stage.cmd == "asnet prepare custom --name mydata --out data/prepared/mydata"
    assert prepare_stage.deps == (str(corpus), str(corpus.parent))
    assert all(key.startswith("prepare_mydata.") for key in prepare_stage.params)
    assert "asnet/data/adapters/custom.py" in prepare_stage.code
    assert stages["cache_mydata"].deps == ("data/prepared/mydata",)
    cross = stages["score_cross@asnet_s0/adv-mydata"]
    assert "--cross-corpus-sets mydata" in cross.cmd and "data/cache/mydata/eval" in cross.deps
    # as the training corpus: a run trains on its cache
    params["corpora"] = {"train": "mydata", "test": []}
    stages = {s.name: s for s in pipeline.stages(params)}
    assert "data/cache/mydata/train" in stages["train_base@asnet_s0"].deps and "prepare_demo" not in stages


def test_asvspoof_style_errors_name_the_files_line_blank_lines_included(corpus, tmp_path, capsys):
    protocol = corpus.with_name("blank_lines.txt")
    protocol.write_text("spk1 spk1_a - - bonafide\n\nspk1 spk1_c - buzz deepfake\n")
    assert prepare(protocol, tmp_path / "out") == 2
    assert "blank_lines.txt line 3: unknown label 'deepfake'" in capsys.readouterr().err
