"""The public corpora `asnet download` fetches and `asnet prepare` reads: ONE table.

Per corpus: its archives (official URL, file name, byte size and checksums where they are
known), the terms of use that are printed before every download, the adapter module that turns
the extracted files into a manifest, and the layout the extracted archives must show (the
download refuses to mark a corpus complete without it).

Checksums: `sha256` where one is published or was measured by us; otherwise `None`, and the
download records the sha256 it computed on first download in the done-marker (and says so), so
later copies can be compared with it. Where the organisers publish an MD5 instead (ASVspoof 2021
keys, ASVspoof 5, the WaveFake Zenodo record), it is checked too. Sizes come from the hosts or
from third-party download scripts that measured them; a size is checked like a checksum.

Layout entries are glob patterns relative to the corpus folder; `a|b` means either matches.
Nothing here does I/O: the pipeline imports this table to name stages.
"""
from __future__ import annotations

from dataclasses import dataclass

ZENODO = "https://zenodo.org/records/{record}/files/{name}?download=1"


@dataclass(frozen=True)
class Archive:
    name: str                 # file name on disk (and in `--from DIR`, and under `--url-base`)
    url: str                  # where the organisers publish it
    size: int | None = None   # bytes
    sha256: str | None = None
    md5: str | None = None    # an organiser-published MD5, checked in addition


@dataclass(frozen=True)
class Corpus:
    name: str
    title: str
    homepage: str
    terms: str                       # printed before every download; by downloading the user accepts them
    adapter: str                     # module exposing prepare(args, params) (asnet.data.prepare ADAPTERS)
    archives: tuple[Archive, ...]
    layout: tuple[str, ...]          # globs that must match once every archive is extracted
    manual: str = ""                 # non-empty: no scriptable download; how to fetch it by hand (then --from)


def _zenodo(record: int, name: str, **facts) -> Archive:
    return Archive(name, ZENODO.format(record=record, name=name), **facts)


ASVSPOOF_2021_TERMS = (
    "ASVspoof 2021 evaluation data: use is governed by the licence shipped in the archive "
    "(ASVspoof2021_{track}_eval/LICENSE.{track}.txt) and by the ASVspoof terms at https://www.asvspoof.org; "
    "keys and meta-labels are the organisers' full release (asvspoof.org). Cite the ASVspoof 2021 summary "
    "paper (arXiv 2210.02437). By downloading you accept these terms."
)

ASVSPOOF5_MD5 = {  # README.txt of Zenodo record 14498691, section 2
    "flac_T_aa.tar": "b0cc86b14826a7701b52aad4f53daf9c", "flac_T_ab.tar": "d05be3f4be7a343fdbdd0ed29fdff2e1",
    "flac_T_ac.tar": "70d1ba4ad75a20aef3dae541fbd321e3", "flac_T_ad.tar": "c9bb56af2cc410d98338d74babcb95c9",
    "flac_T_ae.tar": "a3969816982f3e52300d6147ad796df7", "flac_D_aa.tar": "df0be44957623991028cce59792beb17",
    "flac_D_ab.tar": "1e8cd685d89b64502692f1bcf1a13db3", "flac_D_ac.tar": "5e0031f08c30e4bdbf0c59f91b2d662b",
    "flac_E_aa.tar": "a8c800766f3d4ef87971e2b4f29663e2", "flac_E_ab.tar": "c35064188f54f07c87aba58de22534a0",
    "flac_E_ac.tar": "ed7cbcd1b2847998b72472ddf6b445e3", "flac_E_ad.tar": "626a080e994b05df49c577d7b3dede8d",
    "flac_E_ae.tar": "05f19a5e64fa556714ae1b38eb2ea70b", "flac_E_af.tar": "2ca2f52a3bbf827f7ec155ecb47e85d6",
    "flac_E_ag.tar": "671200b5de2fc1e74a563b07b057af8f", "flac_E_ah.tar": "eaf885b1299a61eb07f71e82e96dba37",
    "flac_E_ai.tar": "b2625683bf440abae2af901a45542ad9", "flac_E_aj.tar": "c50281c8233af6f3b0899604d21ade44",
    "ASVspoof5_protocols.tar.gz": "865d0e894ea9f686f0f37e5ae3ae3616",
}

CORPORA: dict[str, Corpus] = {
    "asvspoof2019_la": Corpus(
        name="asvspoof2019_la",
        title="ASVspoof 2019 logical access (train/dev/eval, A01-A19)",
        homepage="https://doi.org/10.7488/ds/2555",
        terms=("ASVspoof 2019 database (Edinburgh DataShare 10283/3336): Open Data Commons Attribution "
               "License (ODC-By) v1.0; cite the ASVspoof 2019 database and challenge papers. "
               "By downloading you accept these terms."),
        adapter="asnet.data.adapters.asvspoof2019_la",
        archives=(Archive("LA.zip", "https://datashare.ed.ac.uk/bitstream/handle/10283/3336/LA.zip?sequence=3&isAllowed=y",
                          size=7_640_952_520),),
        layout=("LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.train.trn.txt",
                "LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.dev.trl.txt",
                "LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.eval.trl.txt",
                "LA/ASVspoof2019_LA_asv_scores/ASVspoof2019.LA.asv.eval.gi.trl.scores.txt",
                "LA/ASVspoof2019_LA_train/flac", "LA/ASVspoof2019_LA_dev/flac", "LA/ASVspoof2019_LA_eval/flac"),
    ),
    "asvspoof2021_la": Corpus(
        name="asvspoof2021_la",
        title="ASVspoof 2021 logical access evaluation (181,566 trials, codecs C1-C7)",
        homepage="https://zenodo.org/records/4837263",
        terms=ASVSPOOF_2021_TERMS.format(track="LA"),
        adapter="asnet.data.adapters.asvspoof2021_la",
        archives=(_zenodo(4837263, "ASVspoof2021_LA_eval.tar.gz"),
                  Archive("LA-keys-full.tar.gz", "https://www.asvspoof.org/asvspoof2021/LA-keys-full.tar.gz",
                          md5="f052cc2ed276745afa3b5198665d3b26")),  # eval-package/README.md (2023-04-13 repack)
        layout=("ASVspoof2021_LA_eval/flac", "keys/LA/CM/trial_metadata.txt", "keys/LA/ASV/trial_metadata.txt"),
    ),
    "asvspoof2021_df": Corpus(
        name="asvspoof2021_df",
        title="ASVspoof 2021 deepfake evaluation (611,829 trials, compressions C1-C9)",
        homepage="https://zenodo.org/records/4835108",
        terms=ASVSPOOF_2021_TERMS.format(track="DF"),
        adapter="asnet.data.adapters.asvspoof2021_df",
        archives=(_zenodo(4835108, "ASVspoof2021_DF_eval_part00.tar.gz", size=8_637_050_238),
                  _zenodo(4835108, "ASVspoof2021_DF_eval_part01.tar.gz", size=8_624_944_890),
                  _zenodo(4835108, "ASVspoof2021_DF_eval_part02.tar.gz", size=8_616_337_195),
                  _zenodo(4835108, "ASVspoof2021_DF_eval_part03.tar.gz", size=8_656_151_261),
                  Archive("DF-keys-full.tar.gz", "https://www.asvspoof.org/asvspoof2021/DF-keys-full.tar.gz",
                          md5="dabbc5628de4fcef53036c99ac7ab93a")),
        layout=("ASVspoof2021_DF_eval/flac", "keys/DF/CM/trial_metadata.txt"),
    ),
    "in_the_wild": Corpus(
        name="in_the_wild",
        title="In-the-Wild (Müller et al. 2022; 31,779 clips of 58 public figures, eval only)",
        homepage="https://deepfake-total.com/in_the_wild",
        terms=("In-the-Wild: CC BY-SA 4.0 per the dataset card (huggingface.co/datasets/mueller91/In-The-Wild); "
               "cite Müller et al., 'Does audio deepfake detection generalize?', Interspeech 2022. "
               "By downloading you accept these terms."),
        adapter="asnet.data.adapters.in_the_wild",
        archives=(Archive("release_in_the_wild.zip",
                          "https://huggingface.co/datasets/mueller91/In-The-Wild/resolve/main/release_in_the_wild.zip"),),
        layout=("release_in_the_wild/meta.csv",),
    ),
    "wavefake": Corpus(
        name="wavefake",
        title="WaveFake (10 vocoder sets on LJSpeech and JSUT) + its bona fide sources LJSpeech 1.1 and JSUT 1.1",
        homepage="https://zenodo.org/records/5642694",
        terms=("WaveFake: CC BY-SA 4.0 (Zenodo 5642694; cite Frank & Schönherr, NeurIPS 2021 Datasets and "
               "Benchmarks). LJSpeech 1.1: public domain (keithito.com/LJ-Speech-Dataset). JSUT 1.1: the "
               "terms in jsut_ver1.1/README (research use; read them before any other use). "
               "By downloading you accept these terms."),
        adapter="asnet.data.adapters.wavefake",
        archives=(_zenodo(5642694, "generated_audio.zip", size=28_918_626_084,
                          md5="76b3e62d69f866e57ad6b1debaff434b"),  # Zenodo's MD5 as quoted by a third-party audit
                  Archive("LJSpeech-1.1.tar.bz2", "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"),
                  Archive("jsut_ver1.1.zip", "http://ss-takashi.sakura.ne.jp/corpus/jsut_ver1.1.zip")),
        layout=("generated_audio/*", "LJSpeech-1.1/wavs", "jsut_ver1.1/basic5000/wav"),
    ),
    "librisevoc": Corpus(
        name="librisevoc",
        title="LibriSeVoc (Sun et al., CVPRW 2023): LibriTTS bona fide + six neural vocoders, 24 kHz",
        homepage="https://github.com/csun22/Synthetic-Voice-Detection-Vocoder-Artifacts",
        terms=("LibriSeVoc: the terms of its authors' repository (csun22/Synthetic-Voice-Detection-Vocoder-"
               "Artifacts); bona fide audio from LibriTTS (CC BY 4.0). Cite Sun et al., 'AI-Synthesized Voice "
               "Detection Using Neural Vocoder Artifacts', CVPRW 2023. By downloading you accept these terms."),
        adapter="asnet.data.adapters.librisevoc",
        archives=(Archive("LibriSeVoc.zip", "https://drive.google.com/file/d/1Zh6b51S1WIsFjdCDRTQhYW61CQ0Ue1lk/view"),),
        layout=("gt|*/gt",),
        manual=("LibriSeVoc is a Google Drive file, which needs a browser to confirm the download: open "
                "https://drive.google.com/file/d/1Zh6b51S1WIsFjdCDRTQhYW61CQ0Ue1lk/view, save it as "
                "LibriSeVoc.zip, then run `asnet download librisevoc --from <its folder>`"),
    ),
    "asvspoof5": Corpus(
        name="asvspoof5",
        title="ASVspoof 5 (train/dev/eval track-1 protocols, attacks A01-A32, codecs C01-C11)",
        homepage="https://zenodo.org/records/14498691",
        terms=("ASVspoof 5 database: Open Data Commons Attribution License (ODC-By) v1.0; its bona fide data "
               "(from Multilingual LibriSpeech) CC BY 4.0 (README.txt of Zenodo 14498691). Cite Wang et al., "
               "'ASVspoof 5: crowdsourced speech data, deepfakes, and adversarial attacks at scale', "
               "ASVspoof 2024 workshop. By downloading you accept these terms."),
        adapter="asnet.data.adapters.asvspoof5",
        archives=tuple(_zenodo(14498691, name, md5=md5) for name, md5 in ASVSPOOF5_MD5.items()),
        layout=("flac_T", "flac_D", "flac_E_eval", "ASVspoof5.train.tsv|*/ASVspoof5.train.tsv"),
    ),
}


class UnknownCorpus(KeyError):
    def __str__(self) -> str:
        return f"unknown corpus {self.args[0]!r} (known: {', '.join(sorted(CORPORA))})"


def corpus(name: str) -> Corpus:
    if name not in CORPORA:
        raise UnknownCorpus(name)
    return CORPORA[name]
