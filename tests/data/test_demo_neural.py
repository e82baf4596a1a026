"""The neural TTS spoofs (Piper, Kokoro): offline, seeded, paceable, Kokoro's text as long as the recording's."""
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from asnet.data.audio import AudioError
from asnet.data.demo import neural


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test here loads and runs the engines with sockets refused: nothing may download."""
    def refuse(*args, **kwargs):
        raise OSError("network access during a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def fresh_engines():
    """Engines loaded inside this module (under no_network), not reused from an earlier test."""
    neural._piper.cache_clear()
    neural._kokoro.cache_clear()


def test_syllables_count_vowel_groups_in_any_script():
    assert [neural.syllables(t) for t in ("umbrella", "Brücke", "молоко", "ten of clubs", "x")] == [3, 2, 3, 3, 1]


def test_morae_merge_small_kana():
    assert neural.morae("でんしゃ") == 3 and neural.morae("ひこうき") == 4


def test_japanese_text_is_seeded_and_as_long_as_the_text_word_by_word():
    first = neural.japanese_text("umbrella", np.random.default_rng(5))
    assert first == neural.japanese_text("umbrella", np.random.default_rng(5)) and neural.HIRAGANA.fullmatch(first)
    for seed in range(5):
        rng = np.random.default_rng(seed)
        assert neural.morae(neural.japanese_text("nez", rng)) == 2  # 1 syllable x 2.5, rounded to even
        assert neural.morae(neural.japanese_text("umbrella", rng)) == 8  # 3 x 2.5 = 7.5
        assert neural.morae(neural.japanese_text("ten of clubs", rng)) == 3 * 2
        assert neural.morae(neural.japanese_text("Eisenbahnschienenbrücke", rng)) == 9  # 7 syllables: capped at 9


def test_piper_is_a_function_of_text_stretch_and_seed(fresh_engines):
    wave, rate = neural.piper("umbrella", "en", 1.0, seed=3)
    assert rate == 22050 and np.isfinite(wave).all() and 0.3 < len(wave) / rate < 2.0
    assert np.array_equal(wave, neural.piper("umbrella", "en", 1.0, seed=3)[0])  # not the session's RNG state
    assert not np.array_equal(wave, neural.piper("umbrella", "en", 1.0, seed=4)[0])
    assert len(neural.piper("umbrella", "en", 2.0, seed=3)[0]) > 1.6 * len(wave)
    german, _ = neural.piper("Brücke", "de", 1.0, seed=3)  # the language's phonemes, joe's voice
    assert len(german) > 0.2 * rate
    with pytest.raises(AudioError, match="no text"):
        neural.piper(" ?! ", "en")


def test_kokoro_renders_offline_from_the_environment_cache(fresh_engines):
    wave, rate = neural.kokoro("umbrella", "fr", 1.0, seed=3)
    assert rate == 24000 and np.isfinite(wave).all() and len(wave) > 0.2 * rate
    assert np.array_equal(wave, neural.kokoro("umbrella", "fr", 1.0, seed=3)[0])
    assert len(neural.kokoro("umbrella", "fr", 2.0, seed=3)[0]) > 1.5 * len(wave)
    cache = neural.kokoro_cache()
    assert cache.is_relative_to(Path(sys.prefix)) and (cache / "kokoro-v1.0.int8.onnx").is_file()
