"""Your own labelled recordings -> manifest: `asnet prepare custom --protocol FILE --root DIR`.

The protocol is one of
- a CSV or TSV with a header: columns `path,label` and optionally `system,speaker,language,split,
  source` (any order; another column name is an error, so a typo is not silently ignored). `path`
  is relative to the root folder (or absolute); `source` names the recording a spoof was made
  from (its path or id), e.g. the original of a voice-converted clip;
- the ASVspoof whitespace protocol, `SPEAKER UTT - SYSTEM LABEL` per line, whose audio is the
  file named UTT (any audio suffix) anywhere under the root folder.
Labels: bonafide, bona-fide, real -> bonafide; spoof, fake -> spoof (any case); anything else is a
one-line error naming the line, as is an id listed twice. utt_id is the path under the root
without its suffix ('/' kept, blanks made '_'). A spoof with no system gets `<name>_spoof`; a
clip with no speaker `unknown`, no language `und`.

Every file is decoded once (asnet.data.adapters.common.audio_facts with decode): missing,
unreadable, empty, silent or non-finite files are rejects with the reason, in rejects.csv.

Split:
- a `split` column (train, dev, eval; `test` means eval) is used as given, but a speaker (or a
  source recording) found in two splits is refused by name unless allow_speaker_overlap says
  the overlap is intended;
- without one, the split is ours, as for the public corpora that publish none (wavefake,
  librisevoc): asnet.data.adapters.common.group_split, seeded, over speakers, or over source
  recordings when a `source` column exists (a spoof and the recording it came from share one
  split; a clip without a source is its own). Without a speaker or source column only a
  one-split cut is possible (split_fractions [0, 0, 1]: a test-only corpus), since a split of
  unknown speakers could put one voice on both sides.

In the DAG a custom corpus is any name in corpora.train / corpora.test whose params section says
`adapter: custom`:

    prepare_mydata: {adapter: custom, protocol: data/mydata/protocol.csv, root: data/mydata,
                     seed: 0, split_fractions: [0.6, 0.2, 0.2], allow_speaker_overlap: false}

and `asnet prepare custom --name mydata` reads that section (with --protocol, the command line
gives everything instead).
"""
from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from asnet.data.adapters.common import (
    Entry, PrepareError, group_split, prepare_corpus, protocol_lines, settings,
)
from asnet.data.manifest import BONAFIDE, SPLITS

ADAPTER = "custom"
LABELS = {"bonafide": "bonafide", "bona-fide": "bonafide", "real": "bonafide", "spoof": "spoof", "fake": "spoof"}
SPLIT_NAMES = {"train": "train", "dev": "dev", "eval": "eval", "test": "eval"}
COLUMNS = ("path", "label", "system", "speaker", "language", "split", "source")
REQUIRED = ("path", "label")
NO_SYSTEM = ("", "-", BONAFIDE)  # what a bona fide row may say in its system column
UNKNOWN_SPEAKER, UNKNOWN_LANGUAGE = "unknown", "und"
DEFAULTS = {"seed": 0, "split_fractions": [0.6, 0.2, 0.2], "allow_speaker_overlap": False}


@dataclass(frozen=True)
class Row:
    """One protocol line as written (label already mapped), before its audio is looked at."""

    line: int
    path: str       # as written: relative to the root, absolute, or (ASVspoof format) a bare utt id
    label: str
    system: str = ""
    speaker: str = ""
    language: str = ""
    split: str = ""
    source: str = ""


def mapped(value: str, spellings: dict[str, str], what: str, where: str) -> str:
    key = value.strip().lower()
    if key not in spellings:
        raise PrepareError(f"{where}: unknown {what} {value!r} (expected one of {', '.join(spellings)})")
    return spellings[key]


def read_table(path: Path, delimiter: str) -> list[Row]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        header = [name.strip() for name in reader.fieldnames or []]
        unknown, missing = sorted(set(header) - set(COLUMNS)), [c for c in REQUIRED if c not in header]
        if unknown or missing:
            raise PrepareError(f"{path}: header {header}: missing {missing}, unknown {unknown} (columns: {', '.join(COLUMNS)})")
        reader.fieldnames = header
        rows = []
        for number, record in enumerate(reader, start=2):
            if None in record or None in record.values():
                raise PrepareError(f"{path} line {number}: {len(header)} fields expected")
            fields = {k: v.strip() for k, v in record.items()}
            if not fields["path"]:
                raise PrepareError(f"{path} line {number}: empty path")
            where = f"{path} line {number}"
            rows.append(Row(number, fields["path"], mapped(fields["label"], LABELS, "label", where),
                            fields.get("system", ""), fields.get("speaker", ""), fields.get("language", ""),
                            mapped(fields["split"], SPLIT_NAMES, "split", where) if fields.get("split") else "",
                            fields.get("source", "")))
    return rows


def read_asvspoof(path: Path) -> list[Row]:
    with open(path, encoding="utf-8") as f:
        numbers = [number for number, line in enumerate(f, start=1) if line.strip()]  # protocol_lines skips blanks
    return [Row(number, utt, mapped(label, LABELS, "label", f"{path} line {number}"), system, speaker)
            for number, (speaker, utt, _, system, label) in zip(numbers, protocol_lines(path, 5))]


def read_protocol(path: Path) -> tuple[list[Row], str]:
    """The protocol's rows and its format ("csv", "tsv" or "asvspoof")."""
    with open(path, encoding="utf-8-sig") as f:
        first = next((line for line in f if line.strip()), "")
    if not first:
        raise PrepareError(f"{path}: empty protocol")
    if "\t" in first:
        return read_table(path, "\t"), "tsv"
    if "," in first:
        return read_table(path, ","), "csv"
    return read_asvspoof(path), "asvspoof"


def audio_by_stem(root: Path) -> dict[str, list[Path]]:
    from asnet.data.audio import AUDIO_SUFFIXES

    found = defaultdict(list)
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
            found[path.stem].append(path)
    return found


def resolve(rows: list[Row], root: Path, fmt: str) -> list[Path]:
    """The audio file of each row (it may not exist: a reject later)."""
    if fmt != "asvspoof":
        return [root / row.path for row in rows]
    stems = audio_by_stem(root)
    located = []
    for row in rows:
        matches = stems.get(row.path, [])
        if len(matches) > 1:
            raise PrepareError(f"line {row.line}: {row.path!r} matches {len(matches)} files under {root}: "
                               f"{', '.join(str(m) for m in matches[:3])}")
        located.append(matches[0] if matches else root / row.path)
    return located


def utt_id_of(name: str, root: Path) -> str:
    """The id of a path (as a protocol writes it) or of an id: the path under root without its suffix."""
    path = Path(name)
    if path.is_absolute() and path.is_relative_to(root.resolve()):
        path = path.relative_to(root.resolve())
    stem = path.with_suffix("").as_posix() if path.suffix else path.as_posix()
    return re.sub(r"\s+", "_", stem.lstrip("/"))


def check_unique(rows: list[Row], ids: list[str], protocol: Path) -> None:
    first: dict[str, int] = {}
    for row, utt_id in zip(rows, ids):
        if utt_id in first:
            raise PrepareError(f"{protocol} lines {first[utt_id]} and {row.line}: both are utt_id {utt_id!r} "
                               "(the same file, or names differing only in suffix)")
        first[utt_id] = row.line


def system_of(row: Row, unnamed: str, protocol: Path) -> str:
    """The manifest's system: `bonafide` for bona fide rows, `unnamed` for a spoof that names none."""
    if row.label == BONAFIDE:
        if row.system not in NO_SYSTEM:
            raise PrepareError(f"{protocol} line {row.line}: bona fide but system {row.system!r}")
        return BONAFIDE
    if row.system == BONAFIDE:
        raise PrepareError(f"{protocol} line {row.line}: spoof but system 'bonafide'")
    return row.system if row.system not in NO_SYSTEM else unnamed


def check_overlap(rows: list[Row], groups: list[str], unit: str, protocol: Path) -> None:
    """PrepareError naming the groups (speakers, sources) that the split column puts in two splits."""
    splits = defaultdict(set)
    for row, group in zip(rows, groups):
        if group:
            splits[group].add(row.split)
    shared = {group: sorted(s, key=SPLITS.index) for group, s in sorted(splits.items()) if len(s) > 1}
    if shared:
        named = "; ".join(f"{group} ({', '.join(s)})" for group, s in list(shared.items())[:5])
        raise PrepareError(f"{protocol}: {len(shared)} {unit}(s) in more than one split: {named}; "
                           "set allow_speaker_overlap (--allow-speaker-overlap) if that is intended")


def given_splits(rows: list[Row], sources: list[str], config: dict, protocol: Path) -> dict:
    unsplit = [row.line for row in rows if not row.split]
    if unsplit:
        raise PrepareError(f"{protocol} line {unsplit[0]}: no split, while other lines have one")
    if not config["allow_speaker_overlap"]:
        check_overlap(rows, [row.speaker for row in rows], "speaker", protocol)
        check_overlap(rows, sources, "source recording", protocol)
    return {"rule": "the protocol's split column", "allow_speaker_overlap": config["allow_speaker_overlap"]}


def our_splits(rows: list[Row], ids: list[str], sources: list[str], config: dict,
               protocol: Path) -> tuple[list[Row], dict]:
    fractions, seed = config["split_fractions"], config["seed"]
    if sources:
        unit, groups = "source", sources
    elif all(row.speaker for row in rows):
        unit, groups = "speaker", [row.speaker for row in rows]
    elif sum(f > 0 for f in fractions) == 1:
        unit, groups = "none (one split)", ids
    else:
        raise PrepareError(f"{protocol}: no split column, and no speaker (or source) on every line to split by: "
                           "add speakers, a split column, or use split_fractions [0, 0, 1] (a test-only corpus)")
    split_of = group_split(groups, fractions, seed)
    rule = {"rule": f"ours: seeded group split, disjoint by {unit}", "seed": seed, "fractions": list(fractions)}
    return [replace(row, split=split_of[group]) for row, group in zip(rows, groups)], rule


def entries(protocol: Path, root: Path, name: str, config: dict) -> tuple[list[Entry], dict]:
    """The protocol's clips as entries (split assigned) and the facts stats.json records."""
    rows, fmt = read_protocol(protocol)
    if not rows:
        raise PrepareError(f"{protocol}: no clips listed")
    paths = resolve(rows, root, fmt)
    ids = [row.path if fmt == "asvspoof" else utt_id_of(row.path, root) for row in rows]
    check_unique(rows, ids, protocol)
    # With a source column, each clip's source recording: a spoof's original, a clip without one its own.
    sources = [utt_id_of(row.source, root) if row.source else utt_id
               for row, utt_id in zip(rows, ids)] if any(row.source for row in rows) else []
    if any(row.split for row in rows):
        rule = given_splits(rows, sources, config, protocol)
    else:
        rows, rule = our_splits(rows, ids, sources, config, protocol)
    chosen = [Entry(utt_id, str(path), row.label, system_of(row, f"{name}_spoof", protocol), row.speaker or UNKNOWN_SPEAKER,
                    row.language or UNKNOWN_LANGUAGE, row.split)
              for row, utt_id, path in zip(rows, ids, paths)]
    return chosen, {"protocol": {"file": os.path.basename(protocol), "format": fmt}, "split": rule}


def command_config(args, params: dict) -> tuple[str, Path, Path, dict]:
    """(name, protocol, root, config): from the command line with --protocol, else from params prepare_<name>."""
    name = args.name or ADAPTER
    if args.protocol:
        given = {"seed": args.seed, "split_fractions": args.split_fractions,
                 "allow_speaker_overlap": args.allow_speaker_overlap or None, "workers": args.workers}
        config = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
        return name, args.protocol, args.root or args.protocol.parent, config
    flags = [flag for flag, value in (("--root", args.root), ("--seed", args.seed), ("--split-fractions", args.split_fractions),
                                      ("--allow-speaker-overlap", args.allow_speaker_overlap)) if value not in (None, False)]
    if flags:
        raise PrepareError(f"{', '.join(flags)} go with --protocol; without it, params prepare_{name} gives them")
    config = settings(params, name, args.workers)  # adds --workers: an execution knob, never a params value
    if config.get("adapter") != ADAPTER:
        raise PrepareError(f"params prepare_{name} has no `adapter: custom`: give --protocol FILE (and --root DIR)")
    known, section = {"adapter", "protocol", "root", *DEFAULTS}, set(params[f"prepare_{name}"])
    missing, unknown = sorted(known - section), sorted(section - known)
    if missing or unknown:
        raise PrepareError(f"params prepare_{name}: missing {missing}, unknown {unknown} (see asnet/data/adapters/custom.py)")
    return name, Path(config["protocol"]), Path(config["root"]), config


def prepare(args, params: dict) -> int:
    name, protocol, root, config = command_config(args, params)
    if not protocol.is_file():
        raise PrepareError(f"{protocol}: no such protocol file")
    if not root.is_dir():
        raise PrepareError(f"{root}: no such folder")
    chosen, extra = entries(protocol, root, name, config)
    prepare_corpus(name, chosen, Path(args.out), config["workers"], extra, decode=True)
    return 0
