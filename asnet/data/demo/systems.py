"""The spoof systems of the demo corpus: one `system` value each, grouped by kind.

    system            kind     how
    espeak_ng         tts      espeak-ng formant synthesis, the recording's language voice
    flite_kal16       tts      flite kal16 diphone voice (US male)
    flite_slt         tts      flite slt clustergen statistical parametric voice (US female)
    festival_kal      tts      festival kal_diphone, residual-excited LPC diphones (US male)
    festival_hts_slt  tts      festival cmu_us_slt_arctic_hts, HMM-based (HTS) synthesis (US female)
    piper_joe         neural   Piper (VITS end-to-end TTS), en_US joe voice, the language's espeak-ng phonemes
    kokoro_ja         neural   Kokoro-82M (StyleTTS2 + iSTFTNet), a Japanese word of similar length, 5 voices
    world             vocoder  WORLD copy-synthesis of the recording
    griffin_lim       vocoder  Griffin-Lim phase reconstruction of the recording's STFT magnitude
    lpc               vocoder  LPC-10 style pulse/noise-excited LPC resynthesis of the recording
    world_vc          vc       WORLD voice conversion of the recording (F0 scaling + envelope warping)

TTS and neural systems speak the recording's text (kokoro_ja a Japanese stand-in for it:
asnet.data.demo.neural); the others transform its audio. Both are paced like the recording: a
first rendering at the engine's own speed gives its speech duration (after the same high-pass
and trimming as in asnet.data.demo.condition), and the clip is rendered again with the engine's
duration stretch set to recording / first rendering (within [MIN_STRETCH, MAX_STRETCH]); neural
systems are rendered once more to correct what is left, then given the recording's channel
(asnet.data.demo.channel).
Volunteers read the ktuberling words slowly, so unpaced TTS would be ~35 % shorter than bona fide
and duration alone would separate the classes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from asnet.data.audio import AudioError, resample, validate_wave
from asnet.data.demo import channel, neural, tts, vocoders
from asnet.data.demo.condition import highpass, long_enough, trim_silence
from asnet.data.demo.sources import Source

SYSTEMS = {
    "espeak_ng": "tts", "flite_kal16": "tts", "flite_slt": "tts", "festival_kal": "tts",
    "festival_hts_slt": "tts", "piper_joe": "neural", "kokoro_ja": "neural", "world": "vocoder",
    "griffin_lim": "vocoder", "lpc": "vocoder", "world_vc": "vc",
}
BATCHED = set(tts.FESTIVAL_VOICES)  # synthesised many at a time by festival_spoofs
NEURAL = {"piper_joe": neural.piper, "kokoro_ja": neural.kokoro}
# Renderings per neural clip: their speech does not lengthen in proportion to the stretch (Piper's
# reached 0.88 of the recording's duration after two), so a third one corrects the rest; Kokoro's is
# nearly proportional (x2.1-2.3 for x2), and each of its renderings costs ~1.5 CPU-s.
NEURAL_RENDERS = {"piper_joe": 3, "kokoro_ja": 2}
MIN_STRETCH, MAX_STRETCH = 0.5, 2.5  # pacing limits: beyond them the engines' prosody breaks down


def speech_seconds(wave: np.ndarray, sample_rate: int, settings) -> float:
    """Duration of `wave` once high-passed and trimmed as every clip will be; AudioError if unusable."""
    filtered = validate_wave(highpass(long_enough(wave, sample_rate), sample_rate, settings.highpass_hz))
    return len(trim_silence(filtered, sample_rate, settings.trim_top_db)) / sample_rate


def pacing(target_seconds: float, rendered: tuple[np.ndarray, int], settings, stretch: float = 1.0) -> float:
    """The duration stretch that makes `rendered` (made at `stretch`) last target_seconds."""
    achieved = max(speech_seconds(*rendered, settings), 1e-3)
    return float(np.clip(stretch * target_seconds / achieved, MIN_STRETCH, MAX_STRETCH))


def _paced(engine, target_seconds: float, settings, renders: int = 2) -> tuple[np.ndarray, int]:
    """engine(stretch) rendered `renders` times, each correcting the stretch by target / achieved."""
    stretch, rendered = 1.0, engine(1.0)
    for _ in range(renders - 1):
        stretch = pacing(target_seconds, rendered, settings, stretch)
        rendered = engine(stretch)
    return rendered


def _neural(system: str, source: Source, wave: np.ndarray, sample_rate: int, seed: int, settings) -> np.ndarray:
    """A neural spoof paced like the recording and equalised to its channel, at sample_rate."""
    spoof, rate = _paced(lambda stretch: NEURAL[system](source.text, source.language, stretch, seed),
                         speech_seconds(wave, sample_rate, settings), settings, NEURAL_RENDERS[system])
    return channel.match_channel(resample(spoof, rate, sample_rate), wave, sample_rate, settings.highpass_hz,
                                 settings.trim_top_db)


def prepare_engines(systems: list[str]) -> None:
    """One-time engine set-up that worker processes must not race on (Kokoro assembles its model file)."""
    if "kokoro_ja" in systems:
        neural.prepare_kokoro()


def synthesize(system: str, source: Source, wave: np.ndarray, sample_rate: int, seed: int,
               settings, workdir: Path) -> tuple[np.ndarray, int]:
    """One spoof of `source` (whose audio at sample_rate is `wave`) -> (wave, its sample rate).

    settings is a DemoSettings (vocoder knobs, trimming); systems in BATCHED go through festival_spoofs.
    """
    if system == "espeak_ng":
        return _paced(lambda stretch: tts.espeak_ng(source.text, source.language, workdir, stretch),
                      speech_seconds(wave, sample_rate, settings), settings)
    if system in ("flite_kal16", "flite_slt"):
        return _paced(lambda stretch: tts.flite(source.text, system.removeprefix("flite_"), workdir, stretch),
                      speech_seconds(wave, sample_rate, settings), settings)
    if system in NEURAL:
        return _neural(system, source, wave, sample_rate, seed, settings), sample_rate
    if system == "world":
        return vocoders.world_resynthesis(wave, sample_rate), sample_rate
    if system == "griffin_lim":
        return vocoders.griffin_lim(wave, sample_rate, settings.griffin_lim_iters, seed), sample_rate
    if system == "lpc":
        return vocoders.lpc_vocoder(wave, sample_rate, settings.lpc_order, seed), sample_rate
    if system == "world_vc":
        return vocoders.world_conversion(wave, sample_rate, settings.vc_pitch_ratio, settings.vc_warp_ratio), sample_rate
    raise ValueError(f"unknown or batched system {system!r}")


def festival_spoofs(requests: list[tuple[str, Source, np.ndarray, str]], sample_rate: int, settings,
                    workdir: Path) -> dict[str, tuple[np.ndarray, int] | AudioError]:
    """(key, source, its wave, festival system) -> key -> paced (wave, rate) or AudioError; two festival runs."""
    first = tts.festival_batch([(key, source.text, system, 1.0) for key, source, _, system in requests], workdir)
    results, again = dict(first), []
    for key, source, wave, system in requests:
        if isinstance(first[key], AudioError):
            continue
        try:
            stretch = pacing(speech_seconds(wave, sample_rate, settings), first[key], settings)
            again.append((key, source.text, system, stretch))
        except AudioError as err:
            results[key] = err
    return {**results, **tts.festival_batch(again, workdir)}
