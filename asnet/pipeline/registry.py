"""The stage registry: the ONE definition of the DAG, expanded from params.yaml.

Each stage names its command, its data inputs, its outputs, the params leaf keys its code reads
and the resources it asks a cluster for. Stages come in families (one per kind of unit: train a
curriculum stage, score a checkpoint on a test set, ...) whose members differ only in their
dimensions (`dims`: checkpoint, test set, run, ...): DVC renders a family as one foreach/matrix
entry (asnet.pipeline.dvc), Snakemake as one wildcard rule (asnet.pipeline.snakemake). A stage's
DVC name is `family@<its key dims joined by ->`, exactly what DVC's matrix expansion names it.
The few per-corpus stages (download_<corpus>, prepare_<corpus>, cache_<corpus>) stand alone: a
corpus's adapter and params section are its own.

Imports nothing heavy (Snakemake builds the registry inside every cluster job).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from asnet.models import architecture_module
from asnet.pipeline.codedeps import stage_code
from asnet.runs import PRETRAINED, Run, lookup, runs, test_set_names
from asnet.utils import DEFAULT_PARAMS

CURRICULUM = ("base", "sam", "energy", "ood", "adv")
DEMO = "demo"  # the embedded corpus: built from Debian packages, nothing to download
SPLITS = ("train", "dev", "eval")
DOWNLOAD_MARKER = ".asnet-download.json"  # written last by `asnet download` (asnet.data.download)
# Corpora whose adapters copy the organisers' ASV scores beside the manifest: min t-DCF the official way.
HAS_ASV_SCORES = ("asvspoof2019_la", "asvspoof2021_la")
ASV_SCORES = "asv_scores/eval.txt"
REPORT, EXCERPT = "results/paper", "results/paper-excerpt.md"  # the excerpt is pasted into the README
DEMO_REPORT, DEMO_EXCERPT = "results/demo-paper", "results/demo-paper-excerpt.md"
CODE_DIGESTS = "data/code"  # code_digest_stage's output: what DVC sees of each stage's source files
CODE_DIGEST_FAMILY = "code_digests"  # the stage that writes them, the one without a digest of its own
# Params the registry itself reads: they shape the DAG (which stages exist, their names, commands
# and inputs) rather than what a stage computes, so DVC tracks them through the rendered stages
# (and a run's entry through its code digest): a new seed is a new run's stages, and the other
# runs' stages do not change.
STRUCTURAL_PARAMS = ("corpora.train", "corpora.test", "runs.*.seeds", "runs.*.stages", "runs.*.evaluate",
                     "runs.*.full_attacks", "runs.*.weights", "runs.*.variant", "runs.*.corpus", "runs.*.test_sets",
                     "runs.*.clips_per_system", "runs.*.attack", "runs.*.config", "runs.*.set", "report.demo")
WINDOW_PARAMS = ("eval.max_clip_seconds", "eval.window_seconds", "eval.window_hop_seconds")  # long clips (asnet.eval.windows)
CALIBRATION_PARAMS = (*WINDOW_PARAMS, "eval.target_coverage", "eval.ood_flag_rate", "eval.calibration_subset")
SCORE_PARAMS = ("base.sample_rate", *WINDOW_PARAMS)
EVALUATE_PARAMS = ("eval.ece_bins", "eval.bootstrap_resamples", "eval.bootstrap_seed", "eval.rc_points",
                   "eval.max_reject_fraction")


@dataclass(frozen=True)
class Stage:
    """One DAG node. Paths with a file suffix are files; the others are directories."""

    family: str                    # DVC family (top-level dvc.yaml entry)
    cmd: str
    modules: tuple[str, ...]       # asnet modules the command runs (they and their imports are code deps)
    dims: tuple[tuple[str, str], ...] = ()  # what tells the family's members apart, in order
    key: tuple[str, ...] = ()      # the dims that name it (family@values); the others are data of the member
    param_dims: tuple[str, ...] = ()  # the dims that name a params key it reads (shift.codecs.<name>)
    rule: str = ""                 # Snakemake rule (default: the family)
    wildcards: tuple[tuple[str, str], ...] = ()  # its Snakemake wildcards
    spec: str = ""                 # the run entry it builds from (part of its digest: overrides, config)
    deps: tuple[str, ...] = ()     # data inputs (outputs of other stages or raw files)
    outs: tuple[str, ...] = ()     # cached outputs
    persist: tuple[str, ...] = ()  # outputs DVC neither caches nor deletes before a rerun (download markers)
    params: tuple[str, ...] = ()   # dotted params keys it reads (leaves, or a section its code reads whole)
    # metrics and plots are cached like any output: results/ is not in git, so only the DVC remote
    # can carry them to a clone
    metrics: tuple[str, ...] = ()  # small JSON files, shown by `dvc metrics show`
    plots: tuple[str, ...] = ()    # plot sources, shown by `dvc plots show`
    gpu: int = 0                   # GPUs it asks a cluster for
    mem_mb: int = 8000
    runtime_min: int = 60
    threads: int = 2
    code: tuple[str, ...] = field(default=(), compare=False)  # the source files its command can run

    @property
    def name(self) -> str:
        values = dict(self.dims)
        return f"{self.family}@{'-'.join(values[k] for k in self.key)}" if self.key else self.family

    @property
    def rule_name(self) -> str:
        return self.rule or self.family

    @property
    def digest(self) -> str:
        """Its digest file, data/code/<family>[/<key dim values>].sha256 (code_digest_stage writes
        them all); "" for code_digests itself."""
        if self.family == CODE_DIGEST_FAMILY:
            return ""
        values = dict(self.dims)
        return f"{CODE_DIGESTS}/{'/'.join((self.family, *(values[k] for k in self.key)))}.sha256"

    @property
    def dvc_deps(self) -> tuple[str, ...]:
        return ((self.digest,) if self.digest else ()) + self.deps

    @property
    def all_outputs(self) -> tuple[str, ...]:
        return self.outs + self.persist + self.metrics + self.plots


def is_dir(path: str) -> bool:
    return Path(path).suffix == ""


param_value = lookup  # params["a"]["b"] for "a.b" (a whole section for a section name)


def leaves(params: dict, *keys: str) -> tuple[str, ...]:
    """The leaf keys of each of `keys` (a key or a section): what a stage reads, key by key."""
    return tuple(leaf for key in keys for leaf in leaf_keys(params, key))


def read_keys(params: dict, *keys: str, dropped: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The params keys a stage reads, as few as track exactly them: the leaves of `keys` but those
    `dropped`, each under the highest sub-section (never a top-level one) whose leaves it reads
    all. DVC looks each tracked key up in the whole params tree, so 129 leaves cost a training
    stage's no-op check about 8 times what its 16 sub-sections do."""
    read = [k for k in leaves(params, *keys) if k not in dropped]
    wanted = set(read)
    out: list[str] = []
    for key in read:
        parts = key.split(".")
        covering = next((".".join(parts[:i]) for i in range(2, len(parts))
                         if set(leaf_keys(params, ".".join(parts[:i]))) <= wanted), key)
        if covering not in out:
            out.append(covering)
    return tuple(out)


def leaf_keys(params: dict, section: str) -> tuple[str, ...]:
    """The dotted leaf keys under `section`, in file order (a list value is one leaf)."""
    value = lookup(params, section)
    if not isinstance(value, dict) or not value:
        return (section,)
    return tuple(k for name in value for k in leaf_keys(params, f"{section}.{name}"))


# ---------------------------------------------------------------- paths
def prepared_dir(corpus: str) -> str:
    return f"data/prepared/{corpus}"


def manifest_of(corpus: str) -> str:
    return f"{prepared_dir(corpus)}/manifest.csv"


def cache_dir(corpus: str) -> str:
    return f"data/cache/{corpus}"


def checkpoint_dir(run_id: str, stage: str) -> str:
    return f"results/models/{run_id}/{stage}"


def scores_path(run_id: str, stage: str, test_set: str) -> str:
    return f"results/scores/{run_id}/{stage}/{test_set}.tsv"


def score_outputs(run_id: str, stage: str, test_set: str) -> tuple[str, ...]:
    """The scores TSV and what `asnet score` writes beside it (asnet.eval.score.export_paths)."""
    tsv = scores_path(run_id, stage, test_set)
    return tsv, tsv.removesuffix(".tsv") + ".asvspoof.txt", tsv.removesuffix(".tsv") + ".rejects.csv"


def metrics_path(run_id: str, stage: str, test_set: str) -> str:
    return f"results/metrics/{run_id}/{stage}/{test_set}.json"


def attacks_dir(run_id: str, stage: str) -> str:
    return f"results/attacks/{run_id}/{stage}"


def claim_attacks_dir(run_id: str, stage: str) -> str:
    return f"results/claim_attacks/{run_id}/{stage}"


def live_dir(run_id: str, stage: str) -> str:
    return f"results/train/{run_id}/{stage}"


def shift_dir(corpus: str, test_set: str) -> str:
    """A shift set's shards sit beside the eval split they were made from: every test set of a
    corpus is data/cache/<corpus>/<set>."""
    return f"{cache_dir(corpus)}/{test_set}"


# ---------------------------------------------------------------- the stages
def corpora(params: dict) -> list[str]:
    """Every corpus the DAG prepares: the training corpus, each run's, then the test corpora."""
    names = [params["corpora"]["train"], *(r.corpus for r in runs(params)), *params["corpora"]["test"]]
    return list(dict.fromkeys(names))


def stages(params: dict) -> list[Stage]:
    """The whole DAG for the given params (families expand from params)."""
    all_stages: list[Stage] = []
    for corpus in corpora(params):
        if custom_corpus(params, corpus):
            all_stages.append(custom_prepare_stage(corpus, params))
        else:
            if corpus != DEMO:
                all_stages.append(download_stage(corpus))
            all_stages.append(prepare_stage(corpus, params))
        all_stages.append(cache_stage(corpus, params))
    all_stages += shift_stages(params)
    for run in runs(params):
        all_stages += train_stages(run, params)
        for stage in run.evaluated:
            for name, shards in test_sets(run, params, stage).items():
                all_stages.append(score_stage(run, stage, name, shards, params))
            if run.attacked:
                all_stages.append(attack_stage(run, stage, params))
            if claim_attacked(run, stage, params):
                all_stages.append(claim_attack_stage(run, stage, params))
    all_stages.append(report_stage(params))
    all_stages += demo_report_stage(params)
    coded = [with_code(s) for s in all_stages]
    return [code_digest_stage(params), *coded]


def with_code(stage: Stage) -> Stage:
    return Stage(**{**stage.__dict__, "code": stage_code(stage.modules)})


def suffix(run: Run, params: dict) -> str:
    """Runs trained on another corpus than corpora.train form families of their own (other paths)."""
    return "" if run.corpus == params["corpora"]["train"] else f"_{run.corpus}"


def run_spec(run: Run, params: dict) -> str:
    """The run's entry as its stages read it (model config name, overrides): part of their code
    digest, so an override reruns exactly that run's stages (seeds and stage lists are structure)."""
    return f"runs.{run.entry}: " + json.dumps({"config": run.config, "set": run.overrides}, sort_keys=True)


# ---------------------------------------------------------------- corpora
def download_stage(corpus: str) -> Stage:
    """Idempotent: a corpus already downloaded (or taken `--from` a folder by hand, as ASVspoof's
    terms require) is verified by its done-marker and left alone. The marker persists: DVC must
    not delete it before rerunning, or the corpus would be fetched again."""
    return Stage(
        family=f"download_{corpus}", rule="download", wildcards=(("corpus", corpus),),
        cmd=f"asnet download {corpus} --out data/raw/{corpus}",
        modules=("asnet.data.download",),
        persist=(f"data/raw/{corpus}/{DOWNLOAD_MARKER}",),
        runtime_min=24 * 60, threads=1, mem_mb=2000,
    )


def prepare_stage(corpus: str, params: dict) -> Stage:
    out = prepared_dir(corpus)
    if corpus == DEMO:
        return Stage(
            family=f"prepare_{corpus}",
            cmd=f"asnet prepare {corpus} --out {out}",
            modules=("asnet.data.prepare", "asnet.data.demo.build"),  # the adapter is imported by name
            # Separate outputs, so the cache can depend on the manifest alone (it checks every clip's
            # sha256) instead of DVC walking the audio directory once more on every `dvc repro`.
            outs=(f"{out}/audio", f"{out}/manifest.csv", f"{out}/rejects.csv", f"{out}/stats.json"),
            params=read_keys(params, "base.sample_rate", f"prepare_{corpus}"),
            runtime_min=30,
        )
    return Stage(
        family=f"prepare_{corpus}", rule="prepare", wildcards=(("corpus", corpus),),
        cmd=f"asnet prepare {corpus} --raw data/raw/{corpus} --out {out}",
        modules=("asnet.data.prepare", adapter_module(corpus)),
        deps=(f"data/raw/{corpus}/{DOWNLOAD_MARKER}",),
        outs=(out,),
        # params.yaml must have it once the corpus is selected (README)
        params=read_keys(params, f"prepare_{corpus}") if f"prepare_{corpus}" in params else (f"prepare_{corpus}",),
        runtime_min=12 * 60, threads=4,
    )


def custom_corpus(params: dict, corpus: str) -> bool:
    """Your own labelled audio under any name: params `prepare_<corpus>` says `adapter: custom`."""
    return (params.get(f"prepare_{corpus}") or {}).get("adapter") == "custom"


def custom_prepare_stage(corpus: str, params: dict) -> Stage:
    """Nothing to download: the protocol and the audio folder params name are the inputs."""
    section = params[f"prepare_{corpus}"]
    return Stage(
        family=f"prepare_{corpus}", rule="prepare", wildcards=(("corpus", corpus),),
        cmd=f"asnet prepare custom --name {corpus} --out {prepared_dir(corpus)}",
        modules=("asnet.data.prepare", "asnet.data.adapters.custom"),
        deps=(section["protocol"], section["root"]),
        outs=(prepared_dir(corpus),),
        params=read_keys(params, f"prepare_{corpus}"),
        runtime_min=12 * 60, threads=4,
    )


def cache_stage(corpus: str, params: dict) -> Stage:
    demo = corpus == DEMO
    return Stage(
        family=f"cache_{corpus}", rule="cache", wildcards=(("corpus", corpus),),
        cmd=f"asnet cache --manifest {manifest_of(corpus)} --out {cache_dir(corpus)}",
        modules=("asnet.data.cache",),
        deps=(manifest_of(corpus) if demo else prepared_dir(corpus),),
        outs=tuple(f"{cache_dir(corpus)}/{s}" for s in SPLITS),
        params=("base.sample_rate",),
        runtime_min=30 if demo else 12 * 60, threads=4,
    )


# ---------------------------------------------------------------- shift sets
SHIFT_KINDS = (("codec", "codecs"), ("vocoder", "vocoders"))


def shift_sets(params: dict) -> dict[str, str]:
    """Test-set name (codec_<name>, vocoder_<name>) -> shard directory of every shift set in params."""
    corpus = params["corpora"]["train"]
    return {f"{kind}_{name}": shift_dir(corpus, f"{kind}_{name}")
            for kind, section in SHIFT_KINDS for name in params["shift"][section]}


def shift_stages(params: dict) -> list[Stage]:
    """One stage per eval-time condition, over (a seeded per-system subset of) the training
    corpus's eval split, bona fide and spoof alike."""
    corpus = params["corpora"]["train"]
    source = f"{cache_dir(corpus)}/eval"
    return [
        Stage(
            family=f"shift_{kind}", rule="shift", dims=(("name", name),), key=("name",), param_dims=("name",),
            wildcards=(("corpus", corpus), ("set", f"{kind}_{name}")),
            cmd=f"asnet shift {kind} --name {name} --shards {source} --out {shift_dir(corpus, f'{kind}_{name}')}",
            modules=("asnet.shift.cli",),
            deps=(source,),
            outs=(shift_dir(corpus, f"{kind}_{name}"),),
            params=("base.sample_rate", "shift.seed", "shift.clips_per_system", f"shift.{section}.{name}"),
            threads=1,
        )
        for kind, section in SHIFT_KINDS
        for name in params["shift"][section]
    ]


# ---------------------------------------------------------------- training
def train_params(run: Run, stage: str, params: dict) -> tuple[str, ...]:
    """What a curriculum stage reads: the run's model config, the common and the loss settings of
    every curriculum stage up to itself (the objectives accumulate), dev calibration, and the
    shift pools of the stages that use them. The run's overrides reach it through its digest."""
    level = CURRICULUM.index(stage)
    keys = ["base", run.config, "train.common", *(f"train.{s}" for s in CURRICULUM[: level + 1]), *CALIBRATION_PARAMS]
    keys = list(read_keys(params, *keys, dropped=STRUCTURAL_PARAMS))
    # a pool is one spec its builder reads whole (asnet.shift.pools), like a codec's
    keys.append("shift.pools.augment")
    if level >= CURRICULUM.index("energy"):
        keys.append("shift.pools.pseudo_outliers")
    if level >= CURRICULUM.index("ood"):
        keys.append("shift.pools.train_shifts")
    return tuple(keys)


def train_family(run: Run, stage: str, params: dict) -> str:
    """train_<curriculum stage> for ASNet configs (train_<stage>_from_<init> when a run skips the
    curriculum stages before it: the ablations' adv from base); train_<baseline> (a baseline's
    own config)."""
    if run.config == "model":
        level, init = CURRICULUM.index(stage), run.init_of(stage)
        skipped = f"_from_{init}" if init and init != CURRICULUM[level - 1] else ""
        return f"train_{stage}{skipped}{suffix(run, params)}"
    name = run.config.rsplit(".", 1)[-1]
    return f"train_{name}{'' if stage == 'base' else '_' + stage}{suffix(run, params)}"


def train_stages(run: Run, params: dict) -> list[Stage]:
    """One stage per training stage of the run, each warm-started from the previous one's
    checkpoint (ARCHITECTURE §5)."""
    if run.final == PRETRAINED:
        return [import_stage(run, params)]
    out = []
    curves = run.architecture != "trivial"  # fitted trees have no training curves
    for stage in run.stages:
        previous = run.init_of(stage)
        live, cache, ckpt = live_dir(run.id, stage), cache_dir(run.corpus), checkpoint_dir(run.id, stage)
        init = f" --init {checkpoint_dir(run.id, previous)}" if previous else ""
        out.append(Stage(
            family=train_family(run, stage, params), rule="train" if curves else "fit",
            dims=(("run", run.id),) + ((("init", previous),) if previous else ()), key=("run",),
            wildcards=(("run", run.id), ("stage", stage)),
            cmd=f"asnet train --run {run.id} --stage {stage} --cache {cache} --out {ckpt}"
            f" --live {live}{init}",
            modules=("asnet.train.cli", architecture_module(lookup(params, run.config))),
            spec=run_spec(run, params),
            deps=(f"{cache}/train", f"{cache}/dev") + ((checkpoint_dir(run.id, previous),) if previous else ()),
            outs=(ckpt,),
            params=train_params(run, stage, params),
            metrics=(f"{live}/metrics.json",) if curves else (),
            plots=(f"{live}/plots/metrics",) if curves else (),
            gpu=1 if curves else 0, mem_mb=32000, runtime_min=12 * 60, threads=8,
        ))
    return out


def import_stage(run: Run, params: dict) -> Stage:
    """Published weights as a checkpoint of their own, calibrated on the dev split like any other."""
    cache, published = cache_dir(run.corpus), str(Path(run.weights).parent)
    return Stage(
        family=f"import{suffix(run, params)}", dims=(("run", run.id),), key=("run",),
        wildcards=(("run", run.id), ("stage", PRETRAINED)),
        cmd=f"asnet import aasist --run {run.id} --weights {run.weights} --variant {run.variant} --cache {cache}"
        f" --out {checkpoint_dir(run.id, PRETRAINED)}",
        modules=("asnet.train.importer",), spec=run_spec(run, params),
        deps=(run.weights, f"{published}/{run.variant}.conf", f"{published}/SHA256SUMS", f"{cache}/dev"),
        outs=(checkpoint_dir(run.id, PRETRAINED),),
        params=read_keys(params, "base.sample_rate", run.config, *CALIBRATION_PARAMS),
        gpu=1, mem_mb=16000, runtime_min=60,
    )


# ---------------------------------------------------------------- testing a checkpoint
def test_sets(run: Run, params: dict, stage: str | None = None) -> dict[str, str]:
    """Test-set name (asnet.runs.test_set_names) -> shard directory."""
    shards = {"eval": f"{cache_dir(run.corpus)}/eval", **shift_sets(params),
              **{corpus: f"{cache_dir(corpus)}/eval" for corpus in params["corpora"]["test"]}}
    return {name: shards[name] for name in test_set_names(run, params, stage)}


def set_kind(name: str, params: dict) -> str:
    """eval (the run's own eval split), shift (a codec/vocoder set) or cross (another corpus)."""
    return "eval" if name == "eval" else "shift" if name in shift_sets(params) else "cross"


def unit_dims(run: Run, stage: str, test_set: str) -> dict:
    return {"dims": (("ckpt", f"{run.id}/{stage}"), ("set", test_set)), "key": ("ckpt", "set"),
            "wildcards": (("run", run.id), ("stage", stage), ("set", test_set))}


def score_stage(run: Run, stage: str, test_set: str, shards: str, params: dict) -> Stage:
    """One checkpoint on one test set: `asnet score` writes its scores, then `asnet evaluate` their
    metrics. A unit per (checkpoint, test set), so a new test set adds its own units and nothing
    else reruns; scoring and its metrics are one unit because DVC's fixed cost per stage (a lock
    and a status check of each input and output on every `dvc repro`) would otherwise double for
    the DAG's most numerous units. The eval split's unit also writes the dev metrics (from the
    checkpoint's own dev scores); a shift set's also reads the clean eval scores (energy
    OOD-AUROC); a test corpus goes through the leakage guard that refuses a training corpus as
    cross-corpus."""
    kind = set_kind(test_set, params)  # a family per kind: each is a full checkpoint x set matrix
    subset = f" --clips-per-system {run.clips_per_system}" if run.clips_per_system else ""
    checkpoint = checkpoint_dir(run.id, stage)
    out = score_outputs(run.id, stage, test_set)
    corpus = run.corpus if kind == "eval" else test_set if kind == "cross" else None
    asv = f"{prepared_dir(corpus)}/{ASV_SCORES}" if corpus in HAS_ASV_SCORES else None
    sets = ("dev", "eval") if kind == "eval" else (test_set,)
    evaluate = (f"asnet evaluate --checkpoint {checkpoint} --scores-dir results/scores/{run.id}/{stage}"
                f" --sets {' '.join(sets)} --out-dir results/metrics/{run.id}/{stage}")
    evaluate += {"eval": "", "shift": f" --shift-sets {test_set}", "cross": f" --cross-corpus-sets {test_set}"}[kind]
    if asv:
        evaluate += f" --asv {test_set}={asv}"
    clean = (scores_path(run.id, stage, "eval"),) if kind == "shift" else ()
    return Stage(
        family=f"score{'' if kind == 'eval' else '_' + kind}{'_subset' if subset else ''}{'_asv' if asv else ''}"
        f"{suffix(run, params)}",
        rule="score" if kind == "eval" else "score_set",
        **{**unit_dims(run, stage, test_set),  # the eval unit's outputs include dev.json: no set in its rule
           **({"wildcards": (("run", run.id), ("stage", stage))} if kind == "eval" else {})},
        cmd=f"asnet score --checkpoint {checkpoint} --shards {shards} --out {out[0]}{subset} && {evaluate}",
        modules=("asnet.eval.score", "asnet.eval.evaluate", architecture_module(lookup(params, run.config))),
        deps=(checkpoint, shards, *clean) + ((prepared_dir(corpus),) if asv else ()),
        outs=out,
        metrics=tuple(metrics_path(run.id, stage, name) for name in sets),
        params=SCORE_PARAMS + (("eval.test_subset_seed",) if subset else ()) + EVALUATE_PARAMS,
        gpu=1, mem_mb=16000, runtime_min=90,
    )


def attack_stage(run: Run, stage: str, params: dict) -> Stage:
    """The attack suite of one checkpoint on a seeded, class-balanced subset of its eval split:
    `full` for the stages a run lists in full_attacks, the ε-grid suite for the others."""
    suite = "full" if stage in run.full_attacks else "grid"
    return suite_stage(run, stage, params, suite, f"attack{'_full' if suite == 'full' else ''}", "attack",
                       attacks_dir(run.id, stage), runtime_min=4 * 60)


def claim_attacked(run: Run, stage: str, params: dict) -> bool:
    """Whether the claims suite attacks this checkpoint: one the claims check may compare, i.e.
    report.asnet's entry at its stage, or a report.baselines entry at its final stage (the best
    baseline is chosen by dev EER when the report runs, so every candidate is attacked)."""
    report = params["report"]
    if not run.attacked or "claim" not in params["attack"]["suites"]:
        return False
    return ((run.entry, stage) == (report["asnet"]["entry"], report["asnet"]["stage"])
            or (run.entry in report["baselines"] and stage == run.final))


def claim_attack_stage(run: Run, stage: str, params: dict) -> Stage:
    """The claims suite (attack.suites.claim on attack.suite_subsets.claim: 200 bona fide + 200
    spoof clips of 1 s) of one checkpoint, for the claims check's adversarial-EER claim."""
    return suite_stage(run, stage, params, "claim", "claim_attack", "claim_attack", claim_attacks_dir(run.id, stage),
                       runtime_min=2 * 60)


def suite_stage(run: Run, stage: str, params: dict, suite: str, family: str, rule: str, out: str,
                runtime_min: int) -> Stage:
    """`asnet attack --suite <suite>` on one checkpoint's eval split, written to `out`."""
    shards = f"{cache_dir(run.corpus)}/eval"
    return Stage(
        family=f"{family}{suffix(run, params)}", rule=rule,
        dims=(("ckpt", f"{run.id}/{stage}"),), key=("ckpt",), wildcards=(("run", run.id), ("stage", stage)),
        cmd=f"asnet attack --checkpoint {checkpoint_dir(run.id, stage)} --shards {shards} --suite {suite} --out {out}",
        modules=("asnet.attacks.cli", architecture_module(lookup(params, run.config))),
        deps=(checkpoint_dir(run.id, stage), shards),
        outs=(out,),
        params=read_keys(params, "attack", "base.sample_rate", "eval.ece_bins"),
        gpu=1, mem_mb=16000, runtime_min=runtime_min,
    )


# ---------------------------------------------------------------- reports
REPORT_INPUTS = ("models", "scores", "metrics", "attacks", "claim_attacks", "train")  # of each run, under results/


def report_params(params: dict) -> tuple[str, ...]:
    """The report reads every run's entry and the shift-set names; of `report:` all but the demo's
    list; and which systems of the training corpus are neural (asnet.report.collect.neural_systems)."""
    own = read_keys(params, "report", dropped=("report.demo",))
    return ("runs", "corpora", "shift.codecs", "shift.vocoders", *own, *neural_systems_key(params))


def neural_systems_key(params: dict) -> tuple[str, ...]:
    """prepare_<training corpus>.neural_systems where params has it."""
    section = params.get(f"prepare_{params['corpora']['train']}") or {}
    return (f"prepare_{params['corpora']['train']}.neural_systems",) if "neural_systems" in section else ()


def run_inputs(run: Run, params: dict) -> tuple[str, ...]:
    """The folders under results/ holding everything the DAG makes of `run`."""
    absent = {"attacks": not run.attacked,
              "claim_attacks": not any(claim_attacked(run, stage, params) for stage in run.evaluated),
              "train": run.final == PRETRAINED or run.architecture == "trivial"}
    return tuple(f"results/{kind}/{run.id}" for kind in REPORT_INPUTS if not absent.get(kind))


def report_stage(params: dict) -> Stage:
    """Tables, figures, the claims check, model cards and REPORT.md of the whole paper grid (every
    run in params, ablations included), plus the README excerpt: `dvc repro report`."""
    made = {i for run in runs(params) for i in run_inputs(run, params)}
    return Stage(
        family="report",
        cmd=f"asnet report --results results --out {REPORT} --excerpt {EXCERPT}",
        modules=("asnet.report.cli",),
        deps=tuple(f"results/{k}" for k in REPORT_INPUTS if any(i.startswith(f"results/{k}/") for i in made)),
        outs=(REPORT, EXCERPT),
        params=report_params(params),
        mem_mb=8000, runtime_min=60, threads=1,
    )


def demo_runs(params: dict) -> list[Run]:
    """The runs params report.demo names, each by its entry (every seed) or its run id (one seed):
    what `make demo` builds (no ablation grid). Like the report's other lists, it may name entries
    runs does not have (then they are not built)."""
    return [run for run in runs(params) if run.entry in params["report"]["demo"] or run.id in params["report"]["demo"]]


def demo_report_stage(params: dict) -> list[Stage]:
    """The same report over the demo's runs only (`make demo` = `dvc repro demo_report`); none
    when params runs has none of them."""
    demo = demo_runs(params)
    if not demo:
        return []
    entries = " ".join(item for item in params["report"]["demo"] if any(item in (run.entry, run.id) for run in demo))
    return [Stage(
        family="demo_report",
        cmd=f"asnet report --entries {entries} --results results --out {DEMO_REPORT} --excerpt {DEMO_EXCERPT}",
        modules=("asnet.report.cli",),
        deps=tuple(i for run in demo for i in run_inputs(run, params)),
        outs=(DEMO_REPORT, DEMO_EXCERPT),
        params=report_params(params),
        mem_mb=8000, runtime_min=60, threads=1,
    )]


def adapter_module(corpus: str) -> str:
    from asnet.data.prepare import ADAPTERS  # light: a table of module names

    if corpus not in ADAPTERS:
        raise ValueError(f"no adapter for corpus {corpus!r} (asnet prepare knows {', '.join(sorted(ADAPTERS))})")
    return ADAPTERS[corpus]


# ---------------------------------------------------------------- code digests
def code_digest_stage(params: dict) -> Stage:
    """One digest file per stage: the sha256 of each source file its command can run, its run's
    entry, and the value of each params key it reads (Stage.params).

    In dvc.yaml a stage depends on its digest instead of on its ~40 source files and its params
    keys, and this stage alone tracks params.yaml (all of it). DVC re-reads and rewrites the whole
    dvc.lock after every stage it runs, and it parses params.yaml and searches the whole tree once
    per tracked key of every stage on every `dvc repro`: per-stage params were 60 % of a no-op
    repro of the demo (7-8 s). A code or params edit reruns this stage, then exactly the stages
    whose digest changed. Snakemake, which keeps no lock, takes the source files as inputs and
    the params values as rerun triggers (workflow/rules/) and runs this stage only so that
    `dvc commit` finds its output."""
    return Stage(
        family=CODE_DIGEST_FAMILY,
        cmd=f"python -m asnet.pipeline digest --params {DEFAULT_PARAMS}",
        modules=(),
        deps=("asnet",),
        outs=(CODE_DIGESTS,),
        params=tuple(params),  # every section: DVC tracks the whole file (asnet.pipeline.dvc)
        mem_mb=1000, runtime_min=5, threads=1,
    )


def code_digests(all_stages: list[Stage], params: dict) -> dict[str, str]:
    """Digest file -> its text (asnet.pipeline.codedeps.digest_text)."""
    from asnet.pipeline.codedeps import digest_text

    return {s.digest: digest_text(s.code, s.spec, {key: param_value(params, key) for key in s.params})
            for s in all_stages if s.digest}


def check_all_outputs_unique(all_stages: list[Stage]) -> None:
    owners: dict[str, str] = {}
    for s in all_stages:
        for o in s.all_outputs:
            if o in owners:
                raise ValueError(f"{o} is an output of both {owners[o]} and {s.name}")
            owners[o] = s.name
