import shutil

import numpy as np
import pytest

from asnet.data.audio import AudioError
from asnet.data.demo import tts

needs_engines = pytest.mark.skipif(not all(shutil.which(t) for t in ("espeak-ng", "flite", "festival")),
                                   reason="needs the Debian TTS engines (make setup)")


def test_text_is_reduced_to_words():
    assert tts.clean_text('say "hi" \\ (x)_y; don\'t') == "say hi x y don't"


def test_a_missing_engine_is_a_synthesis_failure(tmp_path):
    with pytest.raises(AudioError, match="synthesis failed: no-such-tts"):
        tts._run(["no-such-tts", "x"], tmp_path / "out.wav")


@needs_engines
def test_engines_render_and_stretch(tmp_path):
    normal, rate = tts.espeak_ng("umbrella", "de", tmp_path)
    slow, _ = tts.espeak_ng("umbrella", "de", tmp_path, stretch=2.0)
    assert rate == 22050 and len(slow) > 1.5 * len(normal)
    fast, rate = tts.flite("umbrella", "kal16", tmp_path, stretch=0.5)
    assert rate == 16000 and len(fast) < 0.8 * len(tts.flite("umbrella", "kal16", tmp_path)[0])
    with pytest.raises(AudioError, match="no text"):
        tts.flite(" ?! ", "slt", tmp_path)


@needs_engines
def test_festival_batch_survives_a_bad_request_and_paces_both_voices(tmp_path):
    results = tts.festival_batch([
        ("kal", "umbrella", "festival_kal", 1.0), ("empty", "", "festival_kal", 1.0),
        ("hts", 'an "odd" (text)', "festival_hts_slt", 1.0), ("hts_slow", "umbrella", "festival_hts_slt", 2.0),
        ("kal_slow", "umbrella", "festival_kal", 2.0), ("hts_normal", "umbrella", "festival_hts_slt", 1.0),
    ], tmp_path)
    assert isinstance(results["empty"], AudioError)
    for key in ("kal", "hts", "hts_slow", "kal_slow"):
        wave, rate = results[key]
        assert np.isfinite(wave).all() and rate in (16000, 32000)
    assert len(results["kal_slow"][0]) > 1.5 * len(results["kal"][0])
    assert len(results["hts_slow"][0]) > 1.5 * len(results["hts_normal"][0])


@needs_engines
def test_festival_voices_do_not_disturb_each_other(tmp_path):
    # kal_diphone rendered after an HTS voice in one festival process gave other samples than alone
    # (and other ones from run to run): one demo clip changed between two fresh builds
    # (one chunk of the demo: HTS renders seven words, then kal seven)
    hts = [(f"hts_{w}", w, "festival_hts_slt", 1.0)
           for w in ["mecanicien", "pompier", "rocher", "singe", "tractopelle", "tunnel", "wagon"]]
    kal = [(f"kal_{w}", w, "festival_kal", 1.0)
           for w in ["pecheur", "pompier", "rocher", "tracteur routier", "train", "voiture", "cluas"]]
    alone = tts.festival_batch(kal, tmp_path)
    for _ in range(2):
        mixed = tts.festival_batch(hts + kal, tmp_path)
        for key, _, _, _ in kal:
            np.testing.assert_array_equal(mixed[key][0], alone[key][0])


def test_festival_crash_rejects_its_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no festival on PATH: the engine cannot start
    results = tts.festival_batch([("a", "umbrella", "festival_kal", 1.0)], tmp_path)
    assert str(results["a"]) == "synthesis failed: festival wrote no audio (festival FileNotFoundError)"
