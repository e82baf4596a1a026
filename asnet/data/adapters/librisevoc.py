"""LibriSeVoc (Sun et al., CVPRW 2023; the ASNet paper's corpus) -> manifest.

Layout: gt/ (bona fide LibriTTS utterances, 24 kHz) and one folder per vocoder: diffwave,
melgan, parallel_wave_gan, wavegrad, wavenet, wavernn (system = folder name). Files follow
LibriTTS naming, `{reader}_{chapter}_{segment}_{segment}.wav` (a `_gen` suffix, if a copy has
one, is ignored); speaker = the reader id; every vocoder folder holds a copy of each gt file.

Split: the authors' code slices unsorted os.listdir output 7,920 / 2,640 / 2,641 per folder, so
its split depends on the filesystem; after issue #1 of csun22/Synthetic-Voice-Detection-Vocoder-
Artifacts they published name lists train.txt / dev.txt / test.txt. When the three lists lie in
the corpus folder (or the raw folder) they are used (`test` -> eval; one name per line, a path
or extension is ignored; a source and all its vocoded copies share the listed split, and files in
no list are left out and counted). Otherwise the split is ours: seeded and speaker-disjoint
(asnet.data.adapters.common.group_split over reader ids, default 60/20/20 like the lists'
proportions). stats.json says which was used.

params `prepare_librisevoc`: seed, split_fractions [train, dev, eval].
"""
from __future__ import annotations

import re
from pathlib import Path

from asnet.data.adapters.common import (
    Entry, PrepareError, group_split, prepare_from,
)

CORPUS = "librisevoc"
BONAFIDE_FOLDER = "gt"
NAME = re.compile(r"(?P<reader>\d+)_\d+_\d+_\d+")
LISTS = {"train": "train.txt", "dev": "dev.txt", "eval": "test.txt"}


def corpus_root(raw: Path) -> Path:
    for candidate in (raw, *sorted(p for p in raw.iterdir() if p.is_dir())):
        if (candidate / BONAFIDE_FOLDER).is_dir():
            return candidate
    raise PrepareError(f"no {BONAFIDE_FOLDER}/ folder in {raw} or its sub-folders")


def source_id(name: str) -> str:
    return Path(name.strip()).name.split(".")[0].removesuffix("_gen")


def official_split(root: Path, raw: Path) -> dict[str, str] | None:
    """source id -> split from the published lists, or None when they are not there."""
    for folder in (root, raw):
        paths = {split: folder / name for split, name in LISTS.items()}
        if all(p.is_file() for p in paths.values()):
            return {source_id(line): split for split, p in paths.items()
                    for line in p.read_text().splitlines() if line.strip()}
    return None


def candidates(root: Path) -> list[tuple[str, str, str, Path]]:
    """(reader, source id, system, path) of every file."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    found = []
    for folder in folders:
        system = "bonafide" if folder.name == BONAFIDE_FOLDER else folder.name
        for path in sorted(folder.glob("*.wav")):
            source = source_id(path.name)
            match = NAME.fullmatch(source)
            if not match:
                raise PrepareError(f"{path}: not a LibriTTS name (reader_chapter_segment_segment.wav)")
            found.append((match["reader"], source, system, path))
    return found


def entries(raw: Path, config: dict) -> tuple[list[Entry], dict]:
    root = corpus_root(raw)
    found = candidates(root)
    listed = official_split(root, raw)
    if listed is None:
        by_reader = group_split({reader for reader, *_ in found}, config["split_fractions"], config["seed"])
        split_of = {source: by_reader[reader] for reader, source, _, _ in found}
        rule = {"rule": "ours: seeded speaker-disjoint group split over reader ids", "seed": config["seed"],
                "fractions": list(config["split_fractions"])}
    else:
        split_of = listed
        rule = {"rule": "official lists train.txt/dev.txt/test.txt", "listed_sources": len(listed)}
    chosen, unlisted = [], 0
    for reader, source, system, path in found:
        if source not in split_of:
            unlisted += 1
            continue
        utt_id = source if system == "bonafide" else f"{source}__{system}"
        chosen.append(Entry(utt_id, str(path), "bonafide" if system == "bonafide" else "spoof", system, reader, "en",
                            split_of[source]))
    rule["not_in_split_lists"] = unlisted
    systems = sorted({system for *_, system, _ in found} - {"bonafide"})
    return chosen, {"split": rule, "systems": systems}


prepare = prepare_from(CORPUS, entries)
