"""WaveFake (Frank & Schönherr, NeurIPS 2021) + its bona fide sources -> manifest.

Layout: generated_audio/<system>/<SOURCE>_gen.wav, one folder per vocoder set (ljspeech_melgan,
ljspeech_melgan_large, ljspeech_multi_band_melgan, ljspeech_full_band_melgan,
ljspeech_parallel_wavegan, ljspeech_waveglow, ljspeech_hifiGAN, jsut_multi_band_melgan,
jsut_parallel_wavegan, common_voices_prompts_from_conformer_fastspeech2_pwg_ljspeech); bona fide
from LJSpeech-1.1/wavs/<SOURCE>.wav and jsut_ver1.1/basic5000/wav/<SOURCE>.wav. system = the
folder name; speaker `ljspeech` or `jsut` (each corpus is one speaker), language en or ja.

The published archive's common_voices_prompts_from_conformer_fastspeech2_pwg_ljspeech folder
(the TTS set: gen_<n>.wav) also holds a byte-identical copy of itself under generated/. A vocoder
folder is read recursively, each file name once: the shallowest copy is kept, every deeper file of
the same name must have the same bytes (else the preparation stops, naming both), and the copies
left out are counted per system in stats.json (`nested_copies_left_out`).

WaveFake publishes no split, and the field uses several: WaveFake's own code tests on the last
20 % of each sorted folder (train on one vocoder set, test on the others), whisper-features
70/15/15 with seed 45, SONAR a 70/10/20 slice of unsorted listdir. Each of them can put a
recording in train and its vocoded copy in test. Ours is source-disjoint instead: a group is one
source utterance (the bona fide recording and every vocoded copy of it; `_gen` stripped), and
the groups of each source corpus (LJSpeech, JSUT) are split by asnet.data.adapters.common
.group_split with `seed` and `split_fractions`. With `train_systems` set (e.g.
[ljspeech_melgan], the WaveFake paper's train-on-one-vocoder protocol), the other systems
appear only in eval: their clips whose source lies in train or dev are left out (counted in
stats.json as held_out_left_out), never moved across the split.

params `prepare_wavefake`: seed, split_fractions [train, dev, eval], train_systems (null = all
systems in every split).
"""
from __future__ import annotations

import filecmp
from pathlib import Path

from asnet.data.adapters.common import (
    Entry, PrepareError, group_split, prepare_from,
)

CORPUS = "wavefake"
GENERATED = "generated_audio"
BONAFIDE_FOLDERS = {"ljspeech": "LJSpeech-1.1/wavs", "jsut": "jsut_ver1.1/basic5000/wav"}
LANGUAGES = {"ljspeech": "en", "jsut": "ja"}
SUFFIX = "_gen"


def source_corpus(system: str) -> str:
    """The bona fide corpus a vocoder set was made from (the TTS set speaks with the LJSpeech voice)."""
    return "jsut" if system.startswith("jsut_") else "ljspeech"


def candidates(raw: Path) -> tuple[list[tuple[str, str, str, Path]], dict[str, int]]:
    """(speaker, source utterance, system, path) of every bona fide and generated file, and the
    nested copies left out per system (systems that have any)."""
    found, copies = [], {}
    for speaker, folder in BONAFIDE_FOLDERS.items():
        found += [(speaker, p.stem, "bonafide", p) for p in sorted((raw / folder).glob("*.wav"))]
    systems = sorted(p for p in (raw / GENERATED).iterdir() if p.is_dir())
    if not systems:
        raise PrepareError(f"no vocoder folders in {raw / GENERATED}")
    for folder in systems:
        files, nested = distinct_files(folder)
        found += [(source_corpus(folder.name), p.stem.removesuffix(SUFFIX), folder.name, p) for p in files]
        if nested:
            copies[folder.name] = nested
    return found, copies


def distinct_files(folder: Path) -> tuple[list[Path], int]:
    """(the folder's .wav files at any depth, each name once: the shallowest; how many deeper
    byte-identical copies were left out). Two files of one name with different bytes: PrepareError."""
    by_name: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*.wav"), key=lambda p: (len(p.parts), p)):
        by_name.setdefault(path.name, []).append(path)
    kept, copies = [], 0
    for name in sorted(by_name):
        first, *others = by_name[name]
        for other in others:
            if not filecmp.cmp(first, other, shallow=False):
                raise PrepareError(f"{other} and {first} share a name but not their bytes: which one is the clip?")
        kept.append(first)
        copies += len(others)
    return kept, copies


def entries(raw: Path, config: dict) -> tuple[list[Entry], dict]:
    found, copies = candidates(raw)
    systems = sorted({system for _, _, system, _ in found} - {"bonafide"})
    train_systems = config["train_systems"]
    unknown = sorted(set(train_systems or ()) - set(systems))
    if unknown:
        raise PrepareError(f"train_systems {unknown} are not WaveFake folders here ({', '.join(systems)})")
    split_of = {}
    for speaker in BONAFIDE_FOLDERS:
        groups = {source for s, source, _, _ in found if s == speaker}
        split_of.update({(speaker, g): split for g, split in
                         group_split(groups, config["split_fractions"], config["seed"]).items()})
    chosen, left_out = [], 0
    for speaker, source, system, path in found:
        split = split_of[(speaker, source)]
        if train_systems is not None and system != "bonafide" and system not in train_systems and split != "eval":
            left_out += 1
            continue
        utt_id = source if system == "bonafide" else f"{source}__{system}"
        chosen.append(Entry(utt_id, str(path), "bonafide" if system == "bonafide" else "spoof", system, speaker,
                            LANGUAGES[speaker], split))
    extra = {"split": {"rule": "source-disjoint seeded group split per source corpus", "seed": config["seed"],
                       "fractions": list(config["split_fractions"]), "train_systems": train_systems,
                       "held_out_left_out": left_out}, "systems": systems, "nested_copies_left_out": copies}
    return chosen, extra


prepare = prepare_from(CORPUS, entries)
