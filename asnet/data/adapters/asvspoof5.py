"""ASVspoof 5 -> manifest, from the published track-1 protocols (Zenodo 14498691, README.txt §3).

Layout: flac_T/, flac_D/, flac_E_eval/ (from flac_{T,D,E}_*.tar) and the protocols
(ASVspoof5_protocols.tar.gz): ASVspoof5.train.tsv, ASVspoof5.dev.track_1.tsv,
ASVspoof5.eval.track_1.tsv, space-separated despite the name, ten columns:
  SPEAKER_ID FLAC_FILE_NAME SPEAKER_GENDER CODEC CODEC_Q CODEC_SEED ATTACK_TAG ATTACK_LABEL KEY TMP
system = ATTACK_LABEL (A01-A32; `bonafide` for bona fide), speaker = SPEAKER_ID, splits as
published. Gender, codec (C01-C11 or `-`), codec quality, codec seed (the uncoded original) and
attack tag (attacker adaptation condition) go to the side table conditions.csv. The other
protocol files (track-2 ASV trial and enrolment lists, ASVspoof5.codec.config.csv) are copied to
protocols/ unchanged: the organisers' SASV metrics (a-DCF, asnet.eval.adcf) need them.

params `prepare_asvspoof5`: `{}` (processes: `asnet prepare --workers N`).
"""
from __future__ import annotations

from pathlib import Path

from asnet.data.adapters.common import (
    Entry, PrepareError, check_key, copy_file, prepare_corpus, protocol_lines, require_download, settings,
    spoof_or_bonafide, write_table,
)

CORPUS = "asvspoof5"
SPLITS = {"train": ("ASVspoof5.train.tsv", "flac_T"), "dev": ("ASVspoof5.dev.track_1.tsv", "flac_D"),
          "eval": ("ASVspoof5.eval.track_1.tsv", "flac_E_eval")}
COLUMNS = ["speaker", "utt_id", "gender", "codec", "codec_q", "codec_seed", "attack_tag", "attack", "key", "tmp"]
CONDITION_COLUMNS = ["utt_id", "gender", "codec", "codec_q", "codec_seed", "attack_tag"]


def protocol_folder(raw: Path) -> Path:
    for pattern in ("ASVspoof5.train.tsv", "*/ASVspoof5.train.tsv"):
        if found := sorted(raw.glob(pattern)):
            return found[0].parent
    raise PrepareError(f"no ASVspoof5.train.tsv in {raw} or its sub-folders")


def read_protocols(raw: Path, protocols: Path) -> tuple[list[Entry], list[tuple[str, ...]]]:
    entries, conditions = [], []
    for split, (name, folder) in SPLITS.items():
        for fields in protocol_lines(protocols / name, len(COLUMNS)):
            trial = dict(zip(COLUMNS, fields))
            where = f"{protocols / name} ({trial['utt_id']})"
            key = check_key(trial["key"], where)
            if (key == "bonafide") != (trial["attack"] == "bonafide"):
                raise PrepareError(f"{where}: attack {trial['attack']!r} does not match key {key!r}")
            entries.append(Entry(trial["utt_id"], str(raw / folder / f"{trial['utt_id']}.flac"), key,
                                 spoof_or_bonafide(key, trial["attack"]), trial["speaker"], "en", split))
            conditions.append(tuple(trial[c] for c in CONDITION_COLUMNS))
    return entries, conditions


def copy_other_protocols(protocols: Path, out: Path) -> list[str]:
    track_1 = {name for name, _ in SPLITS.values()}
    others = sorted(p for p in protocols.glob("ASVspoof5.*") if p.is_file() and p.name not in track_1)
    for path in others:
        copy_file(path, out / "protocols" / path.name)
    return [p.name for p in others]


def prepare(args, params: dict) -> int:
    config = settings(params, CORPUS, args.workers)
    raw = require_download(CORPUS, args.raw)
    out = Path(args.out)
    protocols = protocol_folder(raw)
    entries, conditions = read_protocols(raw, protocols)
    write_table(out / "conditions.csv", CONDITION_COLUMNS, conditions)
    del conditions
    extra = {"protocols": {split: name for split, (name, _) in SPLITS.items()},
             "copied_protocols": copy_other_protocols(protocols, out)}
    prepare_corpus(CORPUS, entries, out, config["workers"], extra)
    return 0
