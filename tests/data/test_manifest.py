import csv

import pytest

from asnet.data.manifest import (
    COLUMNS, ManifestError, ManifestRow, read_manifest, read_rejects, write_manifest, write_rejects,
)


def row(utt_id="b", **changes) -> dict:
    base = dict(utt_id=utt_id, path=f"audio/{utt_id}.wav", label="spoof", system="world", speaker="kt-fr",
                language="fr", split="eval", corpus="demo", duration_s=1.23456, sample_rate=16000, sha256="ab" * 32)
    return {**base, **changes}


def write_csv(path, records, columns=COLUMNS):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)


def test_columns_are_architecture_section_3():
    assert COLUMNS == ["utt_id", "path", "label", "system", "speaker", "language", "split", "corpus",
                       "duration_s", "sample_rate", "sha256"]


def test_round_trip_sorts_and_formats_deterministically(tmp_path):
    rows = [row("b"), row("a", label="bonafide", system="bonafide", split="train")]
    write_manifest(rows, tmp_path / "m.csv")
    text = (tmp_path / "m.csv").read_text()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert text.splitlines()[1].startswith("a,audio/a.wav,bonafide") and ",1.2346,16000," in text
    back = read_manifest(tmp_path / "m.csv")
    assert [r.utt_id for r in back] == ["a", "b"]
    assert back[1] == ManifestRow(**{**row("b"), "duration_s": 1.2346})
    assert back[0]["split"] == "train" and back[1].audio_path(tmp_path / "m.csv") == tmp_path / "audio/b.wav"
    write_manifest(back, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == text


@pytest.mark.parametrize("changes, message", [
    ({"label": "fake"}, "bad label"),
    ({"split": "test"}, "bad split"),
    ({"label": "bonafide"}, "does not match label"),
    ({"path": "/abs/a.wav"}, "relative"),
    ({"sha256": "xyz"}, "bad sha256"),
    ({"duration_s": 0}, "bad duration_s"),
    ({"speaker": ""}, "must not be empty"),
])
def test_schema_violations_name_file_and_line(tmp_path, changes, message):
    write_csv(tmp_path / "m.csv", [row("a"), row("b", **changes)])
    with pytest.raises(ManifestError, match=f"m.csv line 3: .*{message}"):
        read_manifest(tmp_path / "m.csv")
    with pytest.raises(ManifestError, match=message):
        write_manifest([row("b", **changes)], tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_duplicate_utt_id_is_refused(tmp_path):
    write_csv(tmp_path / "m.csv", [row("a"), row("a")])
    with pytest.raises(ManifestError, match="duplicate utt_id 'a'"):
        read_manifest(tmp_path / "m.csv")


def test_missing_column_and_short_row_are_refused(tmp_path):
    write_csv(tmp_path / "m.csv", [{c: v for c, v in row().items() if c != "sha256"}], COLUMNS[:-1])
    with pytest.raises(ManifestError, match=r"missing column\(s\) \['sha256'\]"):
        read_manifest(tmp_path / "m.csv")
    (tmp_path / "short.csv").write_text(",".join(COLUMNS) + "\na,audio/a.wav,spoof\n")
    with pytest.raises(ManifestError, match="wrong number of fields"):
        read_manifest(tmp_path / "short.csv")


def test_rejects_are_sorted_with_fixed_columns(tmp_path):
    write_rejects([{"path": "z.wav", "reason": "silent"},
                   {"path": "a.ogg", "reason": "unreadable", "utt_id": "kt-a", "system": "bonafide", "extra": 1}],
                  tmp_path / "rejects.csv")
    assert (tmp_path / "rejects.csv").read_text().splitlines()[0] == "utt_id,path,system,reason"
    assert [r["path"] for r in read_rejects(tmp_path / "rejects.csv")] == ["a.ogg", "z.wav"]
