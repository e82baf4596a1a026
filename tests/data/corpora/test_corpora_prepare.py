"""Each corpus: fixture archives served on 127.0.0.1 -> downloaded, verified, extracted -> prepared
from its official protocol files into the §3 manifest with the protocol's exact counts."""
from __future__ import annotations

import csv
import hashlib
from argparse import Namespace
from collections import Counter
from pathlib import Path

import pytest
import soundfile
import yaml

from asnet.cli import main as cli
from asnet.data.manifest import read_manifest, read_rejects
from asnet.eval.evaluate import read_asv_scores
from asnet.utils import load_params, read_json
from tests.data.corpora.corpus_fixtures import (
    ASV5_PROTOCOLS, DF21_KEYS, FIXTURE_REJECTS, LA19_PROTOCOLS, LA21_ASV, LA21_KEYS, LIBRISEVOC_SOURCES,
    WAVEFAKE_SYSTEMS, WAVEFAKE_TTS, expected_counts, make_fixture_archive,
)

CORPORA = ["asvspoof2019_la", "asvspoof2021_la", "asvspoof2021_df", "asvspoof5", "in_the_wild", "wavefake",
           "librisevoc"]


@pytest.fixture
def fetched(archive_server, tmp_path):
    """corpus -> its raw folder, downloaded from the local server like a real one."""
    def fetch(corpus: str) -> Path:
        make_fixture_archive(corpus, archive_server.root)
        raw = tmp_path / "data" / "raw" / corpus
        assert cli(["download", corpus, "--out", str(raw), "--url-base", archive_server.url,
                    "--checksums", str(archive_server.root / "SHA256SUMS")]) == 0
        return raw
    return fetch


def prepare(corpus: str, raw: Path, params: Path, *extra: str) -> Path:
    out = raw.parent.parent / "prepared" / corpus
    assert cli(["prepare", corpus, "--raw", str(raw), "--out", str(out), "--params", str(params), *extra]) == 0
    return out


def counts(rows, with_split: bool = True) -> Counter:
    return Counter((r.split if with_split else None, r.label, r.system) for r in rows)


@pytest.mark.parametrize("corpus", CORPORA)
def test_manifest_has_the_protocols_counts_and_points_at_the_raw_audio(corpus, fetched, corpus_params):
    raw = fetched(corpus)
    out = prepare(corpus, raw, corpus_params, *(["--workers", "2"] if corpus == "asvspoof2021_df" else []))
    rows = read_manifest(out / "manifest.csv")
    assert counts(rows, with_split=corpus != "wavefake") == expected_counts(corpus)
    rejects = {r["utt_id"]: r["reason"] for r in read_rejects(out / "rejects.csv")}
    assert sorted(rejects) == sorted(FIXTURE_REJECTS.get(corpus, {}))
    assert all(reason.startswith(FIXTURE_REJECTS[corpus][u]) for u, reason in rejects.items())
    for row in rows:
        audio = row.audio_path(out / "manifest.csv")
        assert row.path.startswith(f"../../raw/{corpus}/") and audio.is_file()  # relative, never copied
        assert row.sha256 == hashlib.sha256(audio.read_bytes()).hexdigest()
        info = soundfile.info(audio)
        assert (row.sample_rate, round(row.duration_s, 4)) == (info.samplerate, round(info.duration, 4))
    stats = read_json(out / "stats.json")
    assert stats["clips"] == len(rows) and sum(stats["rejects"].values()) == len(rejects)
    assert sum(stats["per_split"].values()) == len(rows)


def test_asvspoof2019_keeps_the_official_splits_and_copies_the_asv_scores(fetched, corpus_params):
    raw = fetched("asvspoof2019_la")
    out = prepare("asvspoof2019_la", raw, corpus_params)
    split_of = {utt: split for split, rows in LA19_PROTOCOLS.items() for _, utt, _ in rows}
    speaker_of = {utt: speaker for rows in LA19_PROTOCOLS.values() for speaker, utt, _ in rows}
    for row in read_manifest(out / "manifest.csv"):
        assert (row.split, row.speaker, row.corpus) == (split_of[row.utt_id], speaker_of[row.utt_id], "asvspoof2019_la")
    for split in ("dev", "eval"):
        copied = out / "asv_scores" / f"{split}.txt"
        official = raw / "LA" / "ASVspoof2019_LA_asv_scores" / f"ASVspoof2019.LA.asv.{split}.gi.trl.scores.txt"
        assert copied.read_bytes() == official.read_bytes()
        asv = read_asv_scores(str(copied))  # what `asnet evaluate --asv-scores` parses
        assert [asv[k].size for k in ("target", "nontarget", "spoof")] == [2, 2, 2]


def test_asvspoof2021_la_conditions_and_asv_scores_per_subset(fetched, corpus_params):
    out = prepare("asvspoof2021_la", fetched("asvspoof2021_la"), corpus_params)
    with open(out / "conditions.csv", newline="") as f:
        conditions = {r["utt_id"]: r for r in csv.DictReader(f)}
    assert list(next(iter(conditions.values()))) == ["utt_id", "codec", "codec_tag", "transmission", "attack", "trim",
                                                     "subset"]
    assert sorted(conditions) == sorted(row[1] for row in LA21_KEYS)
    first = conditions["LA_E_9332881"]
    assert (first["codec"], first["codec_tag"], first["transmission"], first["subset"]) == ("alaw", "LA-C2", "ita_tx", "eval")
    assert {r.split for r in read_manifest(out / "manifest.csv")} == {"eval"}
    pooled = read_asv_scores(str(out / "asv_scores" / "eval.txt"))
    keys = Counter(row[5] for row, _ in LA21_ASV)
    assert {k: pooled[k].size for k in keys} == dict(keys)
    for subset in ("eval", "progress", "hidden"):
        lines = (out / "asv_scores" / f"subset-{subset}.txt").read_text().splitlines()
        assert len(lines) == sum(row[7] == subset for row, _ in LA21_ASV)
    assert (out / "asv_scores" / "eval.txt").read_text().splitlines()[2] == "A07 spoof 0.8"


def test_asvspoof2021_df_conditions_carry_every_meta_label(fetched, corpus_params):
    out = prepare("asvspoof2021_df", fetched("asvspoof2021_df"), corpus_params)
    with open(out / "conditions.csv", newline="") as f:
        conditions = {r["utt_id"]: r for r in csv.DictReader(f)}
    vcc = conditions["DF_E_2000024"]
    assert (vcc["codec"], vcc["codec_tag"], vcc["source"], vcc["vocoder"], vcc["subset"], vcc["task"], vcc["team"],
            vcc["gender_pair"], vcc["language"]) == \
        ("mp3m4a", "DF-C8", "vcc2020", "traditional_vocoder", "eval", "Task2", "team12", "FF", "G")
    rows = {r.utt_id: r for r in read_manifest(out / "manifest.csv")}
    assert rows["DF_E_2000024"].system == "Task2-team12" and rows["DF_E_2000024"].speaker == "TGF1"
    assert len(rows) == len(DF21_KEYS) and not (out / "asv_scores").exists()  # DF has no t-DCF
    assert read_json(out / "stats.json")["trial_list"] == {"keys_not_listed": 0, "trials": 9, "without_key": 0}


def test_asvspoof2021_df_languages_are_iso_639_1(fetched, corpus_params, capsys):
    """The keys tag VCC 2020 trials E/F/G/M and the rest `-`: one code system in the manifest."""
    raw = fetched("asvspoof2021_df")
    rows = {r.utt_id: r.language for r in read_manifest(prepare("asvspoof2021_df", raw, corpus_params) / "manifest.csv")}
    assert rows == {row[1]: {"-": "en", "E": "en", "G": "de"}[row[12]] for row in DF21_KEYS}
    keys = raw / "keys" / "DF" / "CM" / "trial_metadata.txt"
    keys.write_text(keys.read_text().replace(" FF G\n", " FF Klingon\n", 1))
    assert cli(["prepare", "asvspoof2021_df", "--raw", str(raw), "--out", str(raw.parent / "out"),
                "--params", str(corpus_params)]) == 2
    assert "(DF_E_2000024): unknown language tag 'Klingon'" in capsys.readouterr().err


def test_asvspoof5_splits_systems_conditions_and_track2_lists(fetched, corpus_params):
    raw = fetched("asvspoof5")
    out = prepare("asvspoof5", raw, corpus_params)
    published = {row[1]: (split, row) for split, rows in ASV5_PROTOCOLS.items() for row in rows}
    for row in read_manifest(out / "manifest.csv"):
        split, fields = published[row.utt_id]
        assert (row.split, row.speaker, row.system) == (split, fields[0], fields[7])
    with open(out / "conditions.csv", newline="") as f:
        coded = {r["utt_id"]: r for r in csv.DictReader(f)}["E_0000000003"]
    assert (coded["codec"], coded["codec_q"], coded["codec_seed"], coded["attack_tag"]) == ("C05", "6", "E_0000000002", "AC3")
    assert sorted(p.name for p in (out / "protocols").iterdir()) == ["ASVspoof5.codec.config.csv",
                                                                     "ASVspoof5.dev.track_2.trial.tsv"]


def test_wavefake_split_is_source_disjoint_and_train_systems_holds_the_rest_out(fetched, corpus_params, tmp_path):
    raw = fetched("wavefake")
    rows = read_manifest(prepare("wavefake", raw, corpus_params) / "manifest.csv")
    split_of_source: dict[str, set] = {}
    for row in rows:
        split_of_source.setdefault(row.utt_id.split("__")[0], set()).add(row.split)
    assert all(len(s) == 1 for s in split_of_source.values())  # a recording and its copies share a split
    assert {r.language for r in rows if r.speaker == "jsut"} == {"ja"}
    params = load_params(corpus_params)
    params["prepare_wavefake"]["train_systems"] = ["ljspeech_melgan"]
    held = tmp_path / "held.yaml"
    held.write_text(yaml.safe_dump(params))
    held_rows = read_manifest(prepare("wavefake", raw, held) / "manifest.csv")
    assert {r.split for r in held_rows if r.system in ("ljspeech_hifiGAN", "jsut_multi_band_melgan")} == {"eval"}
    kept = {r.utt_id for r in held_rows}
    assert {r.utt_id for r in rows if r.system == "ljspeech_melgan"} <= kept  # only held-out clips dropped
    stats = read_json(raw.parent.parent / "prepared" / "wavefake" / "stats.json")
    dropped = sum(1 for r in rows if r.system not in ("bonafide", "ljspeech_melgan") and r.split != "eval")
    assert stats["split"]["held_out_left_out"] == dropped
    assert sorted(stats["systems"]) == sorted(WAVEFAKE_SYSTEMS)


def test_wavefake_reads_the_tts_folder_once_despite_its_nested_copy(fetched, corpus_params, capsys):
    """The published TTS folder repeats itself byte for byte under generated/: one clip per file
    name, the copies counted; a nested file of the same name with other bytes stops preparation."""
    raw = fetched("wavefake")
    tts = raw / "generated_audio" / WAVEFAKE_TTS
    assert sorted(p.name for p in (tts / "generated").iterdir()) == sorted(p.name for p in tts.glob("*.wav"))
    out = prepare("wavefake", raw, corpus_params)
    rows = [r for r in read_manifest(out / "manifest.csv") if r.system == WAVEFAKE_TTS]
    assert sorted(r.utt_id for r in rows) == [f"{s}__{WAVEFAKE_TTS}" for s in WAVEFAKE_SYSTEMS[WAVEFAKE_TTS]]
    assert all("/generated/" not in r.path for r in rows)
    assert read_json(out / "stats.json")["nested_copies_left_out"] == {WAVEFAKE_TTS: len(rows)}
    (tts / "generated" / "gen_1.wav").write_bytes((tts / "gen_0.wav").read_bytes())
    assert cli(["prepare", "wavefake", "--raw", str(raw), "--out", str(raw.parent / "out"),
                "--params", str(corpus_params)]) == 2
    assert f"{tts / 'generated' / 'gen_1.wav'} and {tts / 'gen_1.wav'} share a name but not their bytes" \
        in capsys.readouterr().err


def test_librisevoc_uses_the_published_lists_else_a_speaker_disjoint_split(fetched, corpus_params):
    raw = fetched("librisevoc")
    out = prepare("librisevoc", raw, corpus_params)
    assert read_json(out / "stats.json")["split"]["rule"].startswith("official lists")
    for name in ("train.txt", "dev.txt", "test.txt"):
        (raw / "LibriSeVoc" / name).unlink()
    rows = read_manifest(prepare("librisevoc", raw, corpus_params) / "manifest.csv")
    assert read_json(out / "stats.json")["split"]["rule"].startswith("ours: seeded speaker-disjoint")
    splits_of_reader: dict[str, set] = {}
    for row in rows:
        splits_of_reader.setdefault(row.speaker, set()).add(row.split)
    assert all(len(s) == 1 for s in splits_of_reader.values())
    assert {s for ss in splits_of_reader.values() for s in ss} == {"train", "dev", "eval"}
    assert len(rows) == 7 * len(LIBRISEVOC_SOURCES)


def test_prepare_refuses_an_incomplete_download_in_one_line(tmp_path, corpus_params, capsys):
    (tmp_path / "raw").mkdir()
    assert cli(["prepare", "asvspoof2019_la", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "out"),
                "--params", str(corpus_params)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("asnet prepare: error: ") and "not a complete download" in err[0] and not (tmp_path / "out" / "manifest.csv").exists()


def test_a_malformed_protocol_line_is_named(fetched, corpus_params, capsys):
    raw = fetched("asvspoof2019_la")
    protocol = raw / "LA" / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.dev.trl.txt"
    protocol.write_text(protocol.read_text() + "LA_0069 LA_D_9999999 - A01\n")
    assert cli(["prepare", "asvspoof2019_la", "--raw", str(raw), "--out", str(raw.parent / "out"),
                "--params", str(corpus_params)]) == 2
    assert f"{protocol} line 4: 4 fields, expected [5]" in capsys.readouterr().err


def test_missing_audio_is_a_named_reject(fetched, corpus_params):
    raw = fetched("asvspoof5")
    (raw / "flac_D" / "D_0000000001.flac").unlink()
    rejects = read_rejects(prepare("asvspoof5", raw, corpus_params) / "rejects.csv")
    assert [(r["utt_id"], r["reason"]) for r in rejects] == [("D_0000000001", "missing")]


def test_adapter_settings_come_from_params(tmp_path):
    from asnet.data.adapters import in_the_wild
    from asnet.data.adapters.common import PrepareError

    args = Namespace(raw=tmp_path, out=tmp_path / "out", workers=None)
    with pytest.raises(PrepareError, match="params has no `prepare_in_the_wild` section"):
        in_the_wild.prepare(args, {"base": {}})


def test_the_table_and_prepare_name_the_same_adapters():
    from asnet.data.corpora import CORPORA as TABLE
    from asnet.data.prepare import ADAPTERS

    nothing_to_download = ("demo", "custom")  # built here, or your own
    assert {name: spec.adapter for name, spec in TABLE.items()} == {k: v for k, v in ADAPTERS.items()
                                                                   if k not in nothing_to_download}
