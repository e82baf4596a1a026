"""Tiny stand-ins for the public corpora, in their real layouts, packed as the real archives.

`make_fixture_archive(corpus, directory)` writes every archive of the corpus's table entry
(asnet/data/corpora.py) under its official file name, with the official folder structure,
protocol files (columns and separators as published) and a few 0.3 s clips, plus
`directory/SHA256SUMS` for `asnet download --checksums`. `expected_counts(corpus)` gives the
clips per (split, label, system) the manifest must hold, and `FIXTURE_REJECTS` the clips that
are broken on purpose. Everything is deterministic: the same call gives the same bytes.

Usable from any test (e.g. the pipeline's `asnet download ... --from DIR && dvc repro`):
    from tests.data.corpora.corpus_fixtures import make_fixture_archive
"""
from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile

from asnet.data.corpora import CORPORA

SECONDS = 0.3
MTIME = 1_600_000_000  # fixed member times: archives are byte-identical across runs


def tone(name: str, rate: int) -> np.ndarray:
    """A clip unique to `name`: a sine at a name-derived pitch plus a little noise."""
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    t = np.arange(int(SECONDS * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * (120 + seed % 300) * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def audio_bytes(name: str, rate: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, tone(name, rate), rate, format=fmt, subtype="PCM_16")
    return buffer.getvalue()


class Tree:
    """Files of one archive, in insertion order: path inside the archive -> bytes."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: bytes | str) -> None:
        self.files[path] = data.encode() if isinstance(data, str) else data

    def audio(self, path: str, rate: int) -> None:
        fmt = "FLAC" if path.endswith(".flac") else "WAV"
        self.add(path, audio_bytes(path, rate, fmt))

    def lines(self, path: str, rows: list[list[str]], sep: str = " ") -> None:
        self.add(path, "".join(sep.join(row) + "\n" for row in rows))


def _folders(paths) -> list[str]:
    return sorted({"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)})


def write_archive(tree: Tree, path: Path) -> Path:
    """A zip or tar(.gz/.bz2) of the tree, folders first, as archivers write them."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for folder in _folders(tree.files):
                z.writestr(zipfile.ZipInfo(folder + "/", date_time=(2020, 9, 13, 12, 0, 0)), b"")
            for name, data in tree.files.items():
                z.writestr(zipfile.ZipInfo(name, date_time=(2020, 9, 13, 12, 0, 0)), data)
        return path
    mode = {".gz": "w:gz", ".bz2": "w:bz2"}.get(path.suffix, "w")
    with tarfile.open(path, mode, **({"compresslevel": 1} if mode != "w" else {})) as tar:
        for folder in _folders(tree.files):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for name, data in tree.files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    return path


# ---------------------------------------------------------------- ASVspoof 2019 LA
LA19_PROTOCOLS = {  # split -> [(speaker, utt, system)]; system "-" = bona fide
    "train": [("LA_0079", "LA_T_1138215", "-"), ("LA_0080", "LA_T_1271820", "-"), ("LA_0079", "LA_T_1000137", "A01"),
              ("LA_0080", "LA_T_1000406", "A01"), ("LA_0079", "LA_T_1000648", "A02")],
    "dev": [("LA_0069", "LA_D_1047731", "-"), ("LA_0070", "LA_D_1000265", "A01"), ("LA_0069", "LA_D_1000752", "A06")],
    "eval": [("LA_0039", "LA_E_2834763", "-"), ("LA_0014", "LA_E_8877452", "-"), ("LA_0039", "LA_E_5932896", "A07"),
             ("LA_0014", "LA_E_1004283", "A19"), ("LA_0039", "LA_E_3376054", "A10")],
}
LA19_CORRUPT = "LA_E_3376054"  # its flac is garbage: a reject, not a crash
LA19_ASV = {
    "dev": [["bonafide", "target", "2.9"], ["bonafide", "target", "1.7"], ["bonafide", "nontarget", "-3.2"],
            ["bonafide", "nontarget", "-1.1"], ["A01", "spoof", "0.4"], ["A06", "spoof", "-0.7"]],
    "eval": [["bonafide", "target", "3.1"], ["bonafide", "target", "2.2"], ["bonafide", "nontarget", "-2.5"],
             ["bonafide", "nontarget", "-0.3"], ["A07", "spoof", "1.2"], ["A19", "spoof", "-1.6"]],
}


def asvspoof2019_la() -> dict[str, Tree]:
    tree = Tree()
    tree.add("LA/README.LA.txt", "ASVspoof 2019 LA (fixture)\n")
    names = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}
    for split, rows in LA19_PROTOCOLS.items():
        tree.lines(f"LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{names[split]}.txt",
                   [[spk, utt, "-", system, "bonafide" if system == "-" else "spoof"] for spk, utt, system in rows])
        for _, utt, _ in rows:
            path = f"LA/ASVspoof2019_LA_{split}/flac/{utt}.flac"
            tree.add(path, b"fLaC but not really") if utt == LA19_CORRUPT else tree.audio(path, 16000)
    for split, rows in LA19_ASV.items():
        tree.lines(f"LA/ASVspoof2019_LA_asv_scores/ASVspoof2019.LA.asv.{split}.gi.trl.scores.txt", rows)
    return {"LA.zip": tree}


# ---------------------------------------------------------------- ASVspoof 2021 LA / DF
LA21_KEYS = [
    ["LA_0009", "LA_E_9332881", "alaw", "ita_tx", "A07", "spoof", "notrim", "eval"],
    ["LA_0009", "LA_E_5849185", "none", "loc_tx", "bonafide", "bonafide", "notrim", "eval"],
    ["LA_0012", "LA_E_1013435", "pstn", "sin_tx", "A19", "spoof", "notrim", "progress"],
    ["LA_0012", "LA_E_4437563", "opus", "mad_tx", "bonafide", "bonafide", "trim", "hidden"],
    ["LA_0015", "LA_E_2100322", "gsm", "ita_tx", "A16", "spoof", "notrim", "eval"],
    ["LA_0015", "LA_E_7753130", "g722", "loc_tx", "A08", "spoof", "notrim", "progress"],
]
LA21_ASV = [  # ASV keys (8 columns) and the organisers' ASV score of each trial, line-aligned
    (["LA_0009", "LA_E_5849185", "none", "loc_tx", "bonafide", "target", "notrim", "eval"], "2.7"),
    (["LA_0012", "LA_E_5849185", "none", "loc_tx", "bonafide", "nontarget", "notrim", "eval"], "-2.1"),
    (["LA_0009", "LA_E_9332881", "alaw", "ita_tx", "A07", "spoof", "notrim", "eval"], "0.8"),
    (["LA_0012", "LA_E_4437563", "opus", "mad_tx", "bonafide", "target", "trim", "hidden"], "1.9"),
    (["LA_0015", "LA_E_4437563", "opus", "mad_tx", "bonafide", "nontarget", "trim", "hidden"], "-1.4"),
    (["LA_0012", "LA_E_1013435", "pstn", "sin_tx", "A19", "spoof", "notrim", "progress"], "-0.2"),
    (["LA_0015", "LA_E_2100322", "gsm", "ita_tx", "A16", "spoof", "notrim", "eval"], "1.1"),
]
DF21_KEYS = [  # the spoof rows are the organisers' own (eval-package/ASVspoof2021_eval_notebook.ipynb prints them)
    ["LA_0023", "DF_E_2000011", "nocodec", "asvspoof", "A14", "spoof", "notrim", "progress", "traditional_vocoder",
     "-", "-", "-", "-"],
    ["TEF2", "DF_E_2000013", "low_m4a", "vcc2020", "Task1-team20", "spoof", "notrim", "eval",
     "neural_vocoder_nonautoregressive", "Task1", "team20", "FF", "E"],
    ["TGF1", "DF_E_2000024", "mp3m4a", "vcc2020", "Task2-team12", "spoof", "notrim", "eval", "traditional_vocoder",
     "Task2", "team12", "FF", "G"],
    ["LA_0031", "DF_E_2000030", "mp3m4a", "asvspoof", "bonafide", "bonafide", "notrim", "eval", "bonafide",
     "-", "-", "-", "-"],
    ["VCC2SM3", "DF_E_2000124", "high_m4a", "vcc2018", "bonafide", "bonafide", "notrim", "progress", "bonafide",
     "-", "-", "-", "-"],
    ["VCC2TM2", "DF_E_4999945", "oggm4a", "vcc2018", "SPO-N16", "spoof", "notrim", "eval", "traditional_vocoder",
     "SPO", "N16", "FM", "-"],
    ["LA_0044", "DF_E_4999962", "oggm4a", "asvspoof", "A19", "spoof", "trim", "hidden", "traditional_vocoder",
     "-", "-", "-", "-"],
    ["TEM1", "DF_E_4999980", "low_m4a", "vcc2020", "Task1-team07", "spoof", "notrim", "eval",
     "neural_vocoder_autoregressive", "Task1", "team07", "FM", "E"],
    ["TGF1", "DF_E_4999993", "mp3m4a", "vcc2020", "Task2-team33", "spoof", "notrim", "eval",
     "neural_vocoder_nonautoregressive", "Task2", "team33", "MF", "G"],
]


def asvspoof2021(track: str) -> dict[str, Tree]:
    keys = LA21_KEYS if track == "LA" else DF21_KEYS
    trials = [row[1] for row in keys]
    folder = f"ASVspoof2021_{track}_eval"
    names = [a.name for a in CORPORA[f"asvspoof2021_{track.lower()}"].archives]
    audio_names = [n for n in names if "keys" not in n]
    trees = {name: Tree() for name in audio_names}
    first = trees[audio_names[0]]
    first.lines(f"{folder}/ASVspoof2021.{track}.cm.eval.trl.txt", [[t] for t in trials])
    first.add(f"{folder}/LICENSE.{track}.txt", "licence (fixture)\n")
    first.add(f"{folder}/README.{track}.txt", "readme (fixture)\n")
    for i, trial in enumerate(trials):  # the parts split the flac folder between them
        trees[audio_names[i % len(audio_names)]].audio(f"{folder}/flac/{trial}.flac", 16000)
    key_tree = Tree()
    key_tree.lines(f"keys/{track}/CM/trial_metadata.txt", keys)
    key_tree.lines(f"keys/{track}/CM/LFCC-GMM/score.txt", [[t, f"{i * 0.5 - 1:.2f}"] for i, t in enumerate(trials)])
    if track == "LA":
        key_tree.lines("keys/LA/ASV/trial_metadata.txt", [row for row, _ in LA21_ASV])
        key_tree.lines("keys/LA/ASV/ASVTorch_Kaldi/score.txt", [[row[0], row[1], score] for row, score in LA21_ASV])
    trees[f"{track}-keys-full.tar.gz"] = key_tree
    return trees


# ---------------------------------------------------------------- In-the-Wild
ITW_META = [("0.wav", "Alec Guinness", "spoof"), ("1.wav", "Alec Guinness", "bona-fide"),
            ("2.wav", "Barack Obama", "bona-fide"), ("3.wav", "Barack Obama", "spoof"),
            ("4.wav", "Ayn Rand", "bona-fide"), ("5.wav", "Ayn Rand", "spoof")]
ITW_EMPTY = "5"  # a 0-byte file: a reject


def in_the_wild() -> dict[str, Tree]:
    tree = Tree()
    tree.add("release_in_the_wild/meta.csv", "file,speaker,label\n" + "".join(f"{f},{s},{l}\n" for f, s, l in ITW_META))
    for name, _, _ in ITW_META:
        path = f"release_in_the_wild/{name}"
        tree.add(path, b"") if Path(name).stem == ITW_EMPTY else tree.audio(path, 16000)
    return {"release_in_the_wild.zip": tree}


# ---------------------------------------------------------------- WaveFake
WAVEFAKE_LJ = [f"LJ001-{i:04d}" for i in range(1, 7)]
WAVEFAKE_JSUT = [f"BASIC5000_{i:04d}" for i in range(1, 5)]
# The TTS set: Common Voice prompts (no bona fide counterpart), files gen_<n>.wav; the published
# archive also holds a byte-identical copy of the whole folder under its generated/ subfolder.
WAVEFAKE_TTS = "common_voices_prompts_from_conformer_fastspeech2_pwg_ljspeech"
WAVEFAKE_SYSTEMS = {"ljspeech_melgan": WAVEFAKE_LJ, "ljspeech_hifiGAN": WAVEFAKE_LJ[:4],
                    "jsut_multi_band_melgan": WAVEFAKE_JSUT, WAVEFAKE_TTS: [f"gen_{i}" for i in range(3)]}


def wavefake() -> dict[str, Tree]:
    generated, lj, jsut = Tree(), Tree(), Tree()
    for system, sources in WAVEFAKE_SYSTEMS.items():
        rate = 24000 if system.startswith("jsut") else 22050
        for source in sources:
            name = f"{source}.wav" if system == WAVEFAKE_TTS else f"{source}_gen.wav"
            generated.audio(f"generated_audio/{system}/{name}", rate)
    for source in WAVEFAKE_SYSTEMS[WAVEFAKE_TTS]:
        generated.add(f"generated_audio/{WAVEFAKE_TTS}/generated/{source}.wav",
                      generated.files[f"generated_audio/{WAVEFAKE_TTS}/{source}.wav"])
    lj.add("LJSpeech-1.1/README", "LJ Speech (fixture)\n")
    lj.lines("LJSpeech-1.1/metadata.csv", [[s, "text", "text"] for s in WAVEFAKE_LJ], sep="|")
    for source in WAVEFAKE_LJ:
        lj.audio(f"LJSpeech-1.1/wavs/{source}.wav", 22050)
    jsut.add("jsut_ver1.1/README.en.txt", "JSUT (fixture)\n")
    for source in WAVEFAKE_JSUT:
        jsut.audio(f"jsut_ver1.1/basic5000/wav/{source}.wav", 48000)
    return {"generated_audio.zip": generated, "LJSpeech-1.1.tar.bz2": lj, "jsut_ver1.1.zip": jsut}


# ---------------------------------------------------------------- LibriSeVoc
LIBRISEVOC_SOURCES = ["27_123349_000006_000000", "27_123349_000007_000001", "103_1241_000001_000000",
                      "103_1241_000002_000003", "1034_121119_000004_000000", "1040_133433_000010_000002",
                      "1040_133433_000011_000000", "1069_133699_000003_000001"]
LIBRISEVOC_VOCODERS = ["diffwave", "melgan", "parallel_wave_gan", "wavegrad", "wavenet", "wavernn"]
LIBRISEVOC_LISTS = {"train.txt": LIBRISEVOC_SOURCES[:4], "dev.txt": LIBRISEVOC_SOURCES[4:6],
                    "test.txt": LIBRISEVOC_SOURCES[6:]}


def librisevoc() -> dict[str, Tree]:
    tree = Tree()
    for folder in ["gt", *LIBRISEVOC_VOCODERS]:
        for source in LIBRISEVOC_SOURCES:
            tree.audio(f"LibriSeVoc/{folder}/{source}.wav", 24000)
    for name, sources in LIBRISEVOC_LISTS.items():
        tree.lines(f"LibriSeVoc/{name}", [[f"{s}.wav"] for s in sources])
    return {"LibriSeVoc.zip": tree}


# ---------------------------------------------------------------- ASVspoof 5
ASV5_PROTOCOLS = {  # split -> rows of the 10 published columns
    "train": [["T_4850", "T_0000000000", "F", "-", "-", "-", "-", "bonafide", "bonafide", "-"],
              ["T_4850", "T_0000000001", "F", "-", "-", "-", "AC3", "A05", "spoof", "-"],
              ["T_1263", "T_0000000002", "M", "-", "-", "-", "-", "bonafide", "bonafide", "-"],
              ["T_1263", "T_0000000003", "M", "-", "-", "-", "AC1", "A01", "spoof", "-"]],
    "dev": [["D_0062", "D_0000000000", "F", "-", "-", "-", "-", "bonafide", "bonafide", "-"],
            ["D_0062", "D_0000000001", "F", "-", "-", "-", "AC2", "A09", "spoof", "-"],
            ["D_0755", "D_0000000002", "M", "C03", "2", "D_0000000001", "AC2", "A09", "spoof", "-"]],
    "eval": [["E_0010", "E_0000000000", "M", "-", "-", "-", "-", "bonafide", "bonafide", "-"],
             ["E_0010", "E_0000000001", "M", "C08", "1", "E_0000000000", "-", "bonafide", "bonafide", "-"],
             ["E_0421", "E_0000000002", "F", "-", "-", "-", "AC3", "A17", "spoof", "-"],
             ["E_0421", "E_0000000003", "F", "C05", "6", "E_0000000002", "AC3", "A32", "spoof", "-"]],
}
ASV5_FILES = {"train": "ASVspoof5.train.tsv", "dev": "ASVspoof5.dev.track_1.tsv", "eval": "ASVspoof5.eval.track_1.tsv"}
ASV5_FOLDERS = {"train": ("flac_T", "T"), "dev": ("flac_D", "D"), "eval": ("flac_E_eval", "E")}


def asvspoof5() -> dict[str, Tree]:
    names = [a.name for a in CORPORA["asvspoof5"].archives]
    trees = {name: Tree() for name in names}
    for split, rows in ASV5_PROTOCOLS.items():
        folder, letter = ASV5_FOLDERS[split]
        parts = [n for n in names if n.startswith(f"flac_{letter}_")]
        for i, row in enumerate(rows):  # spread over the split's tars (some stay empty here)
            trees[parts[i % len(parts)]].audio(f"{folder}/{row[1]}.flac", 16000)
    protocols = trees["ASVspoof5_protocols.tar.gz"]
    for split, rows in ASV5_PROTOCOLS.items():
        protocols.lines(f"ASVspoof5_protocols/{ASV5_FILES[split]}", rows)
    protocols.lines("ASVspoof5_protocols/ASVspoof5.dev.track_2.trial.tsv",
                    [["D_0062", "D_0000000000", "F", "bonafide", "target"],
                     ["D_0755", "D_0000000000", "M", "bonafide", "nontarget"],
                     ["D_0062", "D_0000000001", "F", "A09", "spoof"]])
    protocols.add("ASVspoof5_protocols/ASVspoof5.codec.config.csv", "codec,codec_q,bitrate\nC03,2,16k\n")
    return trees


BUILDERS = {
    "asvspoof2019_la": asvspoof2019_la,
    "asvspoof2021_la": lambda: asvspoof2021("LA"),
    "asvspoof2021_df": lambda: asvspoof2021("DF"),
    "in_the_wild": in_the_wild,
    "wavefake": wavefake,
    "librisevoc": librisevoc,
    "asvspoof5": asvspoof5,
}
FIXTURE_REJECTS = {"asvspoof2019_la": {LA19_CORRUPT: "unreadable"}, "in_the_wild": {ITW_EMPTY: "empty"}}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_fixture_archive(corpus: str, directory: str | Path) -> list[Path]:
    """Write the corpus's archives (official names and layout) + SHA256SUMS; return the archive paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    trees = BUILDERS[corpus]()
    paths = [write_archive(trees[a.name], directory / a.name) for a in CORPORA[corpus].archives]
    (directory / "SHA256SUMS").write_text("".join(f"{sha256_of(p)}  {p.name}\n" for p in paths))
    return paths


def expected_counts(corpus: str) -> Counter:
    """(split, label, system) -> clips the manifest must hold (official protocols minus the broken
    clips; for the corpora without a published split, split is None: only totals are fixed)."""
    counts: Counter = Counter()
    rejected = FIXTURE_REJECTS.get(corpus, {})

    def add(split, key, system, utt):
        if utt not in rejected:
            counts[(split, key, "bonafide" if key == "bonafide" else system)] += 1

    if corpus == "asvspoof2019_la":
        for split, rows in LA19_PROTOCOLS.items():
            for _, utt, system in rows:
                add(split, "bonafide" if system == "-" else "spoof", system, utt)
    elif corpus.startswith("asvspoof2021"):
        for row in LA21_KEYS if corpus.endswith("la") else DF21_KEYS:
            add("eval", row[5], row[4], row[1])
    elif corpus == "in_the_wild":
        for name, _, label in ITW_META:
            add("eval", "bonafide" if label == "bona-fide" else "spoof", "in_the_wild_spoof", Path(name).stem)
    elif corpus == "asvspoof5":
        for split, rows in ASV5_PROTOCOLS.items():
            for row in rows:
                add(split, row[8], row[7], row[1])
    elif corpus == "librisevoc":
        split_of = {s: {"train.txt": "train", "dev.txt": "dev", "test.txt": "eval"}[name]
                    for name, sources in LIBRISEVOC_LISTS.items() for s in sources}
        for source in LIBRISEVOC_SOURCES:
            add(split_of[source], "bonafide", "bonafide", source)
            for vocoder in LIBRISEVOC_VOCODERS:
                add(split_of[source], "spoof", vocoder, source)
    elif corpus == "wavefake":
        for source in WAVEFAKE_LJ + WAVEFAKE_JSUT:
            add(None, "bonafide", "bonafide", source)
        for system, sources in WAVEFAKE_SYSTEMS.items():
            for source in sources:
                add(None, "spoof", system, source)
    return counts
