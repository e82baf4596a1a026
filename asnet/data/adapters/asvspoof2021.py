"""ASVspoof 2021 LA and DF evaluation sets -> manifest, from the organisers' full keys.

Layout: ASVspoof2021_{LA,DF}_eval/flac/<TRIAL>.flac (+ the trial list
ASVspoof2021.{LA,DF}.cm.eval.trl.txt) and the key package keys/{LA,DF}/CM/trial_metadata.txt,
space-separated (asvspoof-challenge/2021 eval-package config.py):
  LA, 8 columns:  SPK TRIAL CODEC TRANSMISSION ATTACK KEY TRIM SUBSET
  DF, 13 columns: SPK TRIAL COMPRESSION SOURCE ATTACK KEY TRIM SUBSET VOCODER TASK TEAM GENDER_PAIR LANGUAGE
The manifest's language is an ISO 639-1 code (asnet.data.manifest). DF's LANGUAGE column uses
VCC 2020's one-letter codes (E English, F Finnish, G German, M Mandarin: the language of the
VCC 2020 target speaker, so a Task 2 cross-lingual conversion of English source speech into a
German voice is tagged G) and `-` for the other sources (ASVspoof 2019 LA, VCC 2018: English);
`LANGUAGES` maps them, an unknown code stops the preparation. conditions.csv keeps the raw tag.
Every trial goes to split `eval` (2021 has no train/dev: systems train on 2019 LA); SUBSET
(eval | progress | hidden) is kept in the side table conditions.csv with the codec (and its
official tag, LA-C1..C7 / DF-C1..C9), transmission or source/vocoder group, trim flag and the
other meta-labels, so metrics can be broken down per condition and per subset as the official
results are (papers usually report subset `eval`).

LA also ships ASV keys (keys/LA/ASV/trial_metadata.txt, same 8 columns with KEY
target|nontarget|spoof) and the organisers' ASV scores (keys/LA/ASV/<system>/score.txt,
`ASV_SPK TRIAL SCORE`, line-aligned with the ASV keys). They are joined into the 2019 format
`SOURCE KEY SCORE` that `asnet evaluate --asv-scores` reads: asv_scores/eval.txt (every trial)
and asv_scores/subset-<subset>.txt (the ASV trials of one subset, for the per-subset t-DCF).
DF has no t-DCF (config.py: flag_tDCF = False).

params `prepare_asvspoof2021_la` / `prepare_asvspoof2021_df`: `{}` (processes: `asnet prepare --workers N`).
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from asnet.data.adapters.common import (
    Entry, PrepareError, check_key, find_one, prepare_corpus, protocol_lines, require_download, settings,
    spoof_or_bonafide, write_table,
)
from asnet.utils import atomic_path

CODEC_TAGS = {
    "LA": {"none": "C1", "alaw": "C2", "pstn": "C3", "g722": "C4", "ulaw": "C5", "gsm": "C6", "opus": "C7"},
    "DF": {"nocodec": "C1", "low_mp3": "C2", "high_mp3": "C3", "low_m4a": "C4", "high_m4a": "C5",
           "low_ogg": "C6", "high_ogg": "C7", "mp3m4a": "C8", "oggm4a": "C9"},
}
KEY_COLUMNS = {
    "LA": ["speaker", "utt_id", "codec", "transmission", "attack", "key", "trim", "subset"],
    "DF": ["speaker", "utt_id", "codec", "source", "attack", "key", "trim", "subset", "vocoder", "task", "team",
           "gender_pair", "language"],
}
CONDITION_COLUMNS = {
    "LA": ["utt_id", "codec", "codec_tag", "transmission", "attack", "trim", "subset"],
    "DF": ["utt_id", "codec", "codec_tag", "source", "vocoder", "attack", "trim", "subset", "task", "team",
           "gender_pair", "language"],
}
ASV_KEYS = ("target", "nontarget", "spoof")
LANGUAGES = {"-": "en", "E": "en", "F": "fi", "G": "de", "M": "zh"}  # DF LANGUAGE tag -> ISO 639-1


def read_keys(track: str, raw: Path) -> tuple[list[Entry], list[tuple[str, ...]]]:
    """(manifest entries, conditions rows) of every trial in the CM key file."""
    keys = raw / "keys" / track / "CM" / "trial_metadata.txt"
    audio = raw / f"ASVspoof2021_{track}_eval" / "flac"
    names, tags = KEY_COLUMNS[track], CODEC_TAGS[track]
    entries, conditions = [], []
    for fields in protocol_lines(keys, len(names)):
        trial = dict(zip(names, map(sys.intern, fields)))  # few distinct values: 611,829 DF rows stay small
        where = f"{keys} ({trial['utt_id']})"
        key = check_key(trial["key"], where)
        if trial["codec"] not in tags:
            raise PrepareError(f"{where}: unknown codec {trial['codec']!r} (expected {', '.join(tags)})")
        trial["codec_tag"] = f"{track}-{tags[trial['codec']]}"
        language = trial.get("language", "-")
        if language not in LANGUAGES:
            raise PrepareError(f"{where}: unknown language tag {language!r} (expected {', '.join(LANGUAGES)})")
        entries.append(Entry(trial["utt_id"], str(audio / f"{trial['utt_id']}.flac"), key,
                             spoof_or_bonafide(key, trial["attack"]), trial["speaker"], LANGUAGES[language], "eval"))
        conditions.append(tuple(trial[c] for c in CONDITION_COLUMNS[track]))
    return entries, conditions


def trial_list_check(track: str, raw: Path, entries: list[Entry]) -> dict:
    """How the audio package's trial list and the keys agree (the list ships in the first archive)."""
    listed_path = raw / f"ASVspoof2021_{track}_eval" / f"ASVspoof2021.{track}.cm.eval.trl.txt"
    if not listed_path.is_file():
        return {"trial_list": None}
    listed = {line.strip() for line in listed_path.read_text().splitlines() if line.strip()}
    keyed = {e.utt_id for e in entries}
    return {"trial_list": {"trials": len(listed), "without_key": len(listed - keyed), "keys_not_listed": len(keyed - listed)}}


def write_asv_scores(raw: Path, out: Path) -> dict:
    """Join the LA ASV keys and scores line by line into `SOURCE KEY SCORE` files (pooled and per subset)."""
    keys_path = raw / "keys" / "LA" / "ASV" / "trial_metadata.txt"
    scores_path = find_one(raw / "keys" / "LA" / "ASV", "*/score.txt")
    counts: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        files = {}

        def output(name: str):
            if name not in files:
                tmp = stack.enter_context(atomic_path(out / "asv_scores" / f"{name}.txt"))
                files[name] = stack.enter_context(open(tmp, "w"))
            return files[name]

        with open(scores_path) as scores:
            for number, fields in enumerate(protocol_lines(keys_path, 8), start=1):
                line = scores.readline().split()
                if len(line) != 3 or line[1] != fields[1]:
                    raise PrepareError(f"{scores_path} line {number}: expected `ASV_SPK {fields[1]} SCORE`, got {line}")
                _, _, _, _, attack, key, _, subset = fields
                if key not in ASV_KEYS:
                    raise PrepareError(f"{keys_path} line {number}: ASV key {key!r} not in {ASV_KEYS}")
                record = f"{'bonafide' if key != 'spoof' else attack} {key} {line[2]}\n"
                for name in ("eval", f"subset-{subset}"):
                    output(name).write(record)
                    counts[name] = counts.get(name, 0) + 1
            if scores.readline().strip():
                raise PrepareError(f"{scores_path} has more lines than {keys_path}")
    return {"asv_scores": {"keys": str(keys_path.relative_to(raw)), "scores": str(scores_path.relative_to(raw)),
                           "trials": counts}}


def prepare_track(track: str, args, params: dict) -> int:
    corpus = f"asvspoof2021_{track.lower()}"
    config = settings(params, corpus, args.workers)
    raw = require_download(corpus, args.raw)
    out = Path(args.out)
    entries, conditions = read_keys(track, raw)
    write_table(out / "conditions.csv", CONDITION_COLUMNS[track], conditions)
    del conditions  # written: free it before the audio is described
    extra = {"keys": f"keys/{track}/CM/trial_metadata.txt", **trial_list_check(track, raw, entries),
             **(write_asv_scores(raw, out) if track == "LA" else {})}
    prepare_corpus(corpus, entries, out, config["workers"], extra)
    return 0
