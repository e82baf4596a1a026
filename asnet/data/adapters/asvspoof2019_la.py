"""ASVspoof 2019 LA -> manifest, from the official CM protocols (never a file split).

Layout (LA.zip): LA/ASVspoof2019_LA_{train,dev,eval}/flac/<UTT>.flac,
LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{train.trn,dev.trl,eval.trl}.txt with lines
`SPEAKER UTT - SYSTEM KEY` (SYSTEM `-` for bona fide; A01-A06 in train/dev, A07-A19 in eval),
and LA/ASVspoof2019_LA_asv_scores/ASVspoof2019.LA.asv.{dev,eval}.gi.trl.scores.txt
(`SOURCE KEY SCORE`, KEY target|nontarget|spoof). The two ASV score files are copied beside the
manifest as asv_scores/{dev,eval}.txt, unchanged, so min t-DCF is computed the official way
(`asnet evaluate --asv-scores`).

params `prepare_asvspoof2019_la`: `{}` (processes reading the headers and hashes: `asnet prepare --workers N`).
"""
from __future__ import annotations

from pathlib import Path

from asnet.data.adapters.common import (
    Entry, PrepareError, check_key, copy_file, prepare_corpus, protocol_lines, require_download, settings,
    spoof_or_bonafide,
)

CORPUS = "asvspoof2019_la"
PROTOCOLS = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}
ASV_SPLITS = ("dev", "eval")


def entries(root: Path) -> list[Entry]:
    """Every clip of the three CM protocols; root is the folder holding LA/."""
    found = []
    for split, suffix in PROTOCOLS.items():
        protocol = root / "LA" / "ASVspoof2019_LA_cm_protocols" / f"ASVspoof2019.LA.cm.{suffix}.txt"
        for speaker, utt, _, attack, key in protocol_lines(protocol, 5):
            check_key(key, f"{protocol} ({utt})")
            if (key == "bonafide") != (attack == "-"):
                raise PrepareError(f"{protocol} ({utt}): system {attack!r} does not match key {key!r}")
            audio = root / "LA" / f"ASVspoof2019_LA_{split}" / "flac" / f"{utt}.flac"
            found.append(Entry(utt, str(audio), key, spoof_or_bonafide(key, attack), speaker, "en", split))
    return found


def copy_asv_scores(root: Path, out: Path) -> dict:
    copied = {}
    for split in ASV_SPLITS:
        source = root / "LA" / "ASVspoof2019_LA_asv_scores" / f"ASVspoof2019.LA.asv.{split}.gi.trl.scores.txt"
        if not source.is_file():
            raise PrepareError(f"missing ASV score file {source}")
        copy_file(source, out / "asv_scores" / f"{split}.txt")
        copied[split] = source.name
    return copied


def prepare(args, params: dict) -> int:
    config = settings(params, CORPUS, args.workers)
    raw = require_download(CORPUS, args.raw)
    out = Path(args.out)
    extra = {"protocols": {s: f"ASVspoof2019.LA.cm.{p}.txt" for s, p in PROTOCOLS.items()},
             "asv_scores": copy_asv_scores(raw, out)}
    prepare_corpus(CORPUS, entries(raw), out, config["workers"], extra)
    return 0
