"""Text-to-speech spoofs from the Debian engines (espeak-ng, flite, festival), run as subprocesses.

Every call writes into a caller-given scratch directory (one per worker task) and returns
(float32 wave, native sample rate). `stretch` scales the engine's own phone durations (2.0 =
half as fast), so a spoof can be paced like the recording it imitates. A failed or hung engine
raises AudioError("synthesis failed: ..."), which becomes a rejects row. Festival starts slowly
(~0.2 s), so its requests are batched: one festival process per voice renders many texts with
unwind-protect around each, so one bad text cannot sink the batch. All engines are
deterministic (same text and stretch -> same samples).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from asnet.data.audio import AudioError, read_audio

TIMEOUT_S = 60  # per engine process; a batch of festival texts included

# espeak-ng voice for each ktuberling/pocketsphinx language. Languages espeak-ng lacks get the
# closest relative it has: Galician -> Portuguese, Low German -> German, Norwegian Nynorsk ->
# Bokmål, Walloon -> French.
ESPEAK_VOICES = {
    "ca": "ca", "da": "da", "de": "de", "el": "el", "en": "en-us", "es": "es", "fi": "fi",
    "fr": "fr-fr", "ga": "ga", "gl": "pt", "it": "it", "lt": "lt", "nds": "de", "nl": "nl",
    "nn": "nb", "pt": "pt", "ro": "ro", "ru": "ru", "sl": "sl", "sr": "sr", "sv": "sv",
    "uk": "uk", "wa": "fr-fr",
}
ESPEAK_WPM = 175  # espeak-ng's default speed; it accepts 80..450 words per minute
# festival system -> (voice, Scheme that sets the duration stretch for the next utterances)
FESTIVAL_VOICES = {
    "festival_kal": ("voice_kal_diphone", "(Parameter.set 'Duration_Stretch {stretch:.3f})"),
    # hts_engine ignores Duration_Stretch; its speed rate -r is the inverse of a stretch
    "festival_hts_slt": ("voice_cmu_us_slt_arctic_hts",
                         '(set! hts_engine_params (append cmu_us_slt_arctic_hts::hts_engine_params '
                         '(list (list "-r" {rate:.4f}))))'),
}


def clean_text(text: str) -> str:
    """Letters, digits, apostrophes and single spaces only: safe as an argv item and a Scheme string."""
    return " ".join(re.sub(r"[^\w']+|_", " ", text).split())


def _checked_text(text: str) -> str:
    text = clean_text(text)
    if not text:
        raise AudioError("synthesis failed: no text")
    return text


def _run(command: list[str], output: Path) -> tuple[np.ndarray, int]:
    try:
        subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=True)
    except (OSError, subprocess.SubprocessError) as err:
        raise AudioError(f"synthesis failed: {command[0]} {type(err).__name__}") from err
    return _read_output(output, command[0])


def _read_output(output: Path, engine: str) -> tuple[np.ndarray, int]:
    if not output.exists():
        raise AudioError(f"synthesis failed: {engine} wrote no audio")
    try:
        return read_audio(output)
    except AudioError as err:
        raise AudioError(f"synthesis failed: {engine} output {err.reason}") from err


def espeak_ng(text: str, language: str, workdir: Path, stretch: float = 1.0) -> tuple[np.ndarray, int]:
    """espeak-ng (formant synthesis) in the language's voice, English when none is known."""
    output = workdir / "espeak.wav"
    output.unlink(missing_ok=True)
    voice = ESPEAK_VOICES.get(language, "en-us")
    speed = str(int(np.clip(round(ESPEAK_WPM / stretch), 80, 450)))
    return _run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(output), _checked_text(text)], output)


def flite(text: str, voice: str, workdir: Path, stretch: float = 1.0) -> tuple[np.ndarray, int]:
    """flite with a built-in voice: kal16 (diphone) or slt (clustergen statistical parametric)."""
    output = workdir / f"flite_{voice}.wav"
    output.unlink(missing_ok=True)
    return _run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}",
                 "-t", _checked_text(text), "-o", str(output)], output)


def festival_batch(requests: list[tuple[str, str, str, float]], workdir: Path) -> dict[str, tuple[np.ndarray, int] | AudioError]:
    """Render (key, text, system, stretch) requests -> key -> (wave, rate) or AudioError.

    system is a FESTIVAL_VOICES key; each voice gets its own festival process, which renders all of
    its texts. One process per voice, not one for all: kal_diphone's samples vary from run to run
    when an HTS voice rendered before it in the same process (measured: 7 distinct outputs in 30
    runs of one batch), and each voice alone is deterministic.
    """
    results: dict[str, tuple[np.ndarray, int] | AudioError] = {}
    for system in sorted({request[2] for request in requests}):
        results |= _festival_voice(system, [r for r in enumerate(requests) if r[1][2] == system], workdir)
    return results


def _festival_voice(system: str, requests: list[tuple[int, tuple[str, str, str, float]]],
                    workdir: Path) -> dict[str, tuple[np.ndarray, int] | AudioError]:
    """(index, request) pairs of one voice, rendered by one festival process."""
    voice, pacing = FESTIVAL_VOICES[system]
    results: dict[str, tuple[np.ndarray, int] | AudioError] = {}
    lines, outputs = [f"({voice})"], {}
    for index, (key, text, _, stretch) in requests:
        try:
            words = _checked_text(text)
        except AudioError as err:
            results[key] = err
            continue
        outputs[key] = workdir / f"festival_{index}.wav"
        outputs[key].unlink(missing_ok=True)
        lines.append(pacing.format(stretch=stretch, rate=1 / stretch))
        lines.append(f'(unwind-protect (utt.save.wave (utt.synth (Utterance Text "{words}")) '
                     f'"{outputs[key]}" \'riff) nil)')
    crash = ""
    if outputs:
        script = workdir / f"festival_{system}.scm"
        script.write_text("\n".join(lines) + "\n")
        try:
            subprocess.run(["festival", "--batch", str(script)], capture_output=True, timeout=TIMEOUT_S, check=True)
        except (OSError, subprocess.SubprocessError) as err:  # texts rendered before the crash are kept
            crash = f" (festival {type(err).__name__})"
    for key, output in outputs.items():
        try:
            results[key] = _read_output(output, "festival")
        except AudioError as err:
            results[key] = AudioError(err.reason + crash)
    return results
