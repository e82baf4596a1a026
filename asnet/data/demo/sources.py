"""Bona fide recordings of the demo corpus: the real speech shipped by two Debian packages.

ktuberling-data, /usr/share/ktuberling/sounds/<folder>/<name>.{ogg,opus,wav}: single words
(a few short phrases) spoken by KDE volunteers for a children's game; 22.05/44.1/48 kHz and
8 kHz, some stereo, Ogg Vorbis, Ogg Opus (nn) or PCM WAV. One folder per language; the four
Serbian folders (sr, sr@latin, sr@ijekavian, sr@ijekavianlatin) hold the same recordings. The
package does not credit recordings individually, so each language is taken as one speaker
`kt-<language>`; the split is language-disjoint, so even a language recorded by several
volunteers cannot leak a voice across splits. Text = the file name without its playground
prefix, with `-`/`_` as spaces (`patate_boucle-d-oreille` -> "boucle d oreille"). Most
folders name files by the English key (de/egypt_bridge.ogg says "Brücke"), so the TTS spoofs
of those folders read the English key in that language's voice.

pocketsphinx-testdata, /usr/share/pocketsphinx/test/data: 14 English recordings (16 kHz
wav, and headerless 16 kHz s16le .raw). Speakers: `ps-cards` (cards/, one speaker),
`ps-librivox` (librivox/, one LibriVox reader; from a 64 kb/s mp3), `ps-tidigits-<id>`
(tidigits/, TIDIGITS speaker id from the file name) and `ps-cmu` (top-level .raw files: CMU
test recordings whose speakers are undocumented, so kept together). Text from the shipped
`transcription` files, else from RAW_TRANSCRIPTS.

Byte-identical files (the Serbian folders, fr/patate_X = fr/X, a few uk files) are kept once,
the first path in sorted order, so one recording can never sit in two splits; the other
copies are rejected as duplicates.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

KTUBERLING_ROOT = Path("/usr/share/ktuberling/sounds")
POCKETSPHINX_ROOT = Path("/usr/share/pocketsphinx/test/data")
AUDIO_SUFFIXES = {".wav", ".ogg", ".opus", ".flac", ".mp3", ".raw"}

# Scene ("playground") prefixes of ktuberling file names, English and localised: not spoken words.
PLAYGROUND_PREFIXES = {
    "butterflies", "egypt", "moon", "pizzeria", "robot_workshop", "robot", "tv", "xmas",  # *.soundtheme keys
    "egypte", "lune", "noel", "papillons", "patate", "robin", "patata", "pizza",  # fr, ca, da names
}
# pocketsphinx .raw files ship no transcript: goforward from goforward.gram, the TIDIGITS digits
# from the file name ("2934z"), numbers/something from a pocketsphinx en-us decode.
RAW_TRANSCRIPTS = {
    "goforward": "go forward ten meters",
    "numbers": "thirty three four or six ninety two",
    "something": "go somewhere and do something",
    "dhd.2934z": "two nine three four zero",
}
TRANSCRIPT_LINE = re.compile(r"<s>(.*)</s>\s*\((.+)\)")


@dataclass(frozen=True)
class Source:
    """One bona fide recording: where it is, who speaks which language, and what is said."""

    source_id: str
    path: str
    speaker: str
    language: str
    text: str


def slug(text: str) -> str:
    """A file-name-safe id fragment."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def words_from_name(stem: str) -> str:
    """`patate_boucle-d-oreille` -> "boucle d oreille"; `stick2` -> "stick"."""
    for prefix in sorted(PLAYGROUND_PREFIXES, key=len, reverse=True):  # robot_workshop before robot
        if stem.lower().startswith(prefix + "_") and len(stem) > len(prefix) + 1:
            stem = stem[len(prefix) + 1 :]
            break
    return " ".join(re.sub(r"[\W_\d]+", " ", stem).split())


def ktuberling_sources(root: Path) -> list[Source]:
    sources = []
    for path in sorted(root.glob("*/*")):
        if path.suffix.lower() not in AUDIO_SUFFIXES or not path.is_file():
            continue
        folder = path.parent.name
        language = folder.split("@")[0]
        sources.append(Source(
            source_id=f"kt-{slug(folder)}-{slug(path.stem)}",
            path=str(path),
            speaker=f"kt-{language}",
            language=language,
            text=words_from_name(path.stem),
        ))
    return sources


def _transcripts(folder: Path) -> dict[str, str]:
    """utterance id -> text from the sphinx-style transcription files of one folder."""
    texts = {}
    for file in sorted(folder.glob("*transcription")):
        for line in file.read_text(errors="replace").splitlines():
            match = TRANSCRIPT_LINE.search(line)
            if match:
                texts[match.group(2).strip()] = " ".join(match.group(1).split())
    return texts


def _pocketsphinx_speaker(root: Path, path: Path) -> str:
    folder = path.parent.relative_to(root).as_posix()
    if folder == ".":
        return "ps-cmu"
    if folder == "tidigits":
        return f"ps-tidigits-{path.name.split('.')[0]}"
    return f"ps-{slug(folder)}"


def pocketsphinx_sources(root: Path) -> list[Source]:
    sources = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in {".wav", ".raw"} or not path.is_file():
            continue
        stem = path.name[: -len(path.suffix)]
        text = _transcripts(path.parent).get(stem) or RAW_TRANSCRIPTS.get(stem, "")
        sources.append(Source(
            source_id=f"ps-{slug(path.relative_to(root).with_suffix('').as_posix().replace('/', '-'))}",
            path=str(path),
            speaker=_pocketsphinx_speaker(root, path),
            language="en",
            text=text,
        ))
    return sources


def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def drop_duplicates(sources: list[Source]) -> tuple[list[Source], list[dict]]:
    """Keep the first of byte-identical files (sorted by path); reject the rest."""
    kept, rejects, first = [], [], {}
    for source in sorted(sources, key=lambda s: s.path):
        digest = _file_digest(source.path)
        if digest in first:
            rejects.append({"utt_id": source.source_id, "path": source.path, "system": "bonafide",
                            "reason": f"duplicate of {first[digest]}"})
        else:
            first[digest] = source.path
            kept.append(source)
    return kept, rejects


def discover_sources(ktuberling_root: Path | None = KTUBERLING_ROOT,
                     pocketsphinx_root: Path | None = POCKETSPHINX_ROOT) -> tuple[list[Source], list[dict]]:
    """All bona fide recordings (sorted by source_id) and the duplicate rejects.

    Pass None to leave a package out. A missing package directory is an error that names the
    Debian package, since a corpus silently missing half its speech would mislead.
    """
    found = []
    for root, package, lister in ((ktuberling_root, "ktuberling-data", ktuberling_sources),
                                  (pocketsphinx_root, "pocketsphinx-testdata", pocketsphinx_sources)):
        if root is None:
            continue
        if not Path(root).is_dir():
            raise FileNotFoundError(f"{root} not found: install it with `apt-get install {package}`")
        found += lister(Path(root))
    kept, rejects = drop_duplicates(found)
    ids = [s.source_id for s in kept]
    if len(ids) != len(set(ids)):
        raise ValueError("two recordings map to the same source_id")
    return sorted(kept, key=lambda s: s.source_id), rejects
