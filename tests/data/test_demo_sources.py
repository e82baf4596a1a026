import shutil

import pytest

from asnet.data.demo import build, splits
from asnet.data.demo.sources import (
    Source, discover_sources, words_from_name,
)
from asnet.data.manifest import read_manifest, read_rejects


@pytest.mark.parametrize("stem, words", [
    ("patate_boucle-d-oreille", "boucle d oreille"), ("robot_workshop_base", "base"), ("stick2", "stick"),
    ("naocare_za_sunce", "naocare za sunce"), ("Frier-Tux", "Frier Tux"), ("egypt_", "egypt"),
])
def test_text_comes_from_the_file_name(stem, words):
    assert words_from_name(stem) == words


@pytest.fixture
def fake_packages(tmp_path, audio_files):
    """A ktuberling-like tree (two language folders) and a pocketsphinx-like tree from audio_files."""
    kt, ps = tmp_path / "kt", tmp_path / "ps"
    for folder, names in {"fr": ["stereo.ogg", "corrupt.ogg", "empty.wav", "nan.wav"],
                          "sr@latin": ["silent.wav", "odd_rate.wav"]}.items():
        (kt / folder).mkdir(parents=True)
        for name in names:
            shutil.copy(audio_files[name], kt / folder / f"egypt_{name}")
    (kt / "sr").mkdir()
    shutil.copy(audio_files["odd_rate.wav"], kt / "sr" / "odd_rate.wav")  # same bytes as sr@latin's
    (ps / "cards").mkdir(parents=True)
    shutil.copy(audio_files["good.raw"], ps / "goforward.raw")
    shutil.copy(audio_files["odd.raw"], ps / "cards" / "001.raw")
    (ps / "cards" / "cards.transcription").write_text("<s> ten of clubs </s> (001)\n")
    (kt / "fr" / "notes.txt").write_text("not audio")
    return kt, ps


def test_discovery_speakers_languages_texts_and_duplicates(fake_packages):
    kt, ps = fake_packages
    sources, rejects = discover_sources(kt, ps)
    by_id = {s.source_id: s for s in sources}
    assert by_id["kt-fr-egypt_stereo"] == Source("kt-fr-egypt_stereo", str(kt / "fr/egypt_stereo.ogg"), "kt-fr", "fr", "stereo")
    assert by_id["kt-sr-odd_rate"].speaker == "kt-sr" and by_id["kt-sr-latin-egypt_silent"].language == "sr"
    assert by_id["ps-goforward"].text == "go forward ten meters" and by_id["ps-goforward"].speaker == "ps-cmu"
    assert by_id["ps-cards-001"].text == "ten of clubs" and by_id["ps-cards-001"].speaker == "ps-cards"
    assert [(r["path"], r["reason"]) for r in rejects] == [
        (str(kt / "sr@latin/egypt_odd_rate.wav"), f"duplicate of {kt / 'sr/odd_rate.wav'}")]
    assert len(sources) == 8


def test_missing_package_names_the_debian_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install pocketsphinx-testdata"):
        discover_sources(None, tmp_path / "absent")


def test_bad_recordings_become_rejects_and_good_ones_clips(fake_packages, tmp_path, params):
    """Corrupt, empty, NaN, silent and odd-length files are rejected by name; stereo and 8 kHz are kept."""
    kt, ps = fake_packages
    sources, duplicates = discover_sources(kt, ps)
    jobs = [splits.Job(source, "train", ()) for source in sources]  # bona fide only: no TTS needed
    settings = build.DemoSettings.from_params(params, workers=1)
    rows, rejects = build.build_chunk(jobs, tmp_path / "out", settings)
    assert sorted(r.utt_id for r in rows) == ["kt-fr-egypt_stereo", "kt-sr-odd_rate", "ps-goforward"]
    reasons = {r["utt_id"]: r["reason"] for r in rejects}
    assert reasons == {"kt-fr-egypt_corrupt": "unreadable (LibsndfileError)", "kt-fr-egypt_empty": "empty",
                       "kt-fr-egypt_nan": "non-finite", "kt-sr-latin-egypt_silent": "silent",
                       "ps-cards-001": "unreadable (odd byte count for s16le)"}
    assert all(r["path"] and r["system"] == "bonafide" for r in rejects)


def test_a_build_with_bad_inputs_finishes_and_lists_them(fake_packages, tmp_path, params):
    kt, ps = fake_packages
    sources, duplicates = discover_sources(kt, ps)
    settings = build.DemoSettings.from_params(params, workers=1)
    build.build_demo(tmp_path / "out", settings, sources, duplicates, systems=[])  # bona fide only
    assert len(read_manifest(tmp_path / "out/manifest.csv")) == 3
    assert {r["reason"] for r in read_rejects(tmp_path / "out/rejects.csv")} >= {"empty", "silent", "non-finite"}
    assert len(read_rejects(tmp_path / "out/rejects.csv")) == 6
