"""In-the-Wild (Müller et al., Interspeech 2022) -> manifest: evaluation only, as by convention.

Layout (release_in_the_wild.zip): release_in_the_wild/meta.csv with the header
`file,speaker,label` (label `bona-fide` or `spoof`, hyphenated) and the flat audio files
0.wav ... 31778.wav. Every clip goes to split `eval`; the release names no generator, so every
spoof gets the system `in_the_wild_spoof`. utt_id is the file name without its extension,
speaker the public figure's name as meta.csv spells it.

params `prepare_in_the_wild`: `{}` (processes: `asnet prepare --workers N`).
"""
from __future__ import annotations

import csv
from pathlib import Path

from asnet.data.adapters.common import Entry, PrepareError, prepare_corpus, require_download, settings

CORPUS = "in_the_wild"
FOLDER = "release_in_the_wild"
LABELS = {"bona-fide": "bonafide", "spoof": "spoof"}
SYSTEM = "in_the_wild_spoof"
HEADER = ["file", "speaker", "label"]


def entries(raw: Path) -> list[Entry]:
    meta = raw / FOLDER / "meta.csv"
    found = []
    with open(meta, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != HEADER:
            raise PrepareError(f"{meta}: header {reader.fieldnames}, expected {HEADER}")
        for number, record in enumerate(reader, start=2):
            if record["label"] not in LABELS or not record["file"] or None in record.values():
                raise PrepareError(f"{meta} line {number}: expected `file,speaker,bona-fide|spoof`, got {record}")
            label = LABELS[record["label"]]
            found.append(Entry(Path(record["file"]).stem, str(raw / FOLDER / record["file"]), label,
                               "bonafide" if label == "bonafide" else SYSTEM, record["speaker"], "en", "eval"))
    return found


def prepare(args, params: dict) -> int:
    config = settings(params, CORPUS, args.workers)
    raw = require_download(CORPUS, args.raw)
    prepare_corpus(CORPUS, entries(raw), Path(args.out), config["workers"], {"protocol": f"{FOLDER}/meta.csv"})
    return 0
