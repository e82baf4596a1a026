"""Runs: every detector the DAG trains (or imports), as params `runs:` lists them.

A run is (entry, seed): the entry names the model config (`config: model` for ASNet, or
`config: baselines.<name>`), the training stages in order, optional param overrides (`set:`,
dotted keys), the training corpus (`corpus:`, default `corpora.train`) and which of its stages
are evaluated and attacked with the full attack suite. `asnet_s0` is entry `asnet` with seed 0.

    runs:
      asnet:    {config: model, stages: [base, sam, energy, ood, adv], seeds: [0, 1, 2],
                 evaluate: all, full_attacks: [base, adv]}
      cmra_off: {config: model, stages: [base, adv], seeds: [0, 1, 2], set: {model.cmra.variant: "off"}}
      lcnn:     {config: baselines.lcnn, stages: [base], seeds: [0, 1, 2]}
      aasist_published: {config: baselines.aasist, stages: [pretrained], seeds: [0],
                         weights: asnet/models/baselines/published/AASIST.pth}

Optional keys for models too slow to test in full on a CPU: `test_sets:` (a subset of the test
sets), `clips_per_system:` (score each on that many clips per system) and `attack: false`.

`run_params(params, entry, seed)` is what a stage of that run sees: params with the run's
overrides applied and base.seed set to the run's seed. Light module: the registry imports it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from asnet.params_log import copy_tree
from asnet.utils import check_sample_rates

PRETRAINED = "pretrained"  # the stage name of imported weights (no training)
MODELS = "results/models"  # a run's checkpoints: MODELS/<run id>/<stage> (ARCHITECTURE §3)


class RunError(KeyError):
    """A run id, stage or override that params `runs` does not define (the message names the
    choices): a user error, reported by the CLI as one line."""


@dataclass(frozen=True)
class Run:
    id: str                     # "<entry>_s<seed>": results/models/<id>/<stage>
    entry: str                  # key under params `runs`
    seed: int
    config: str                 # dotted params key of the model config ("model", "baselines.lcnn")
    architecture: str           # config["architecture"]
    stages: tuple[str, ...]     # training stages in order, each warm-started from the previous one
    corpus: str                 # training corpus
    evaluated: tuple[str, ...]  # stages scored, evaluated and attacked (default: the last one)
    full_attacks: tuple[str, ...]  # stages attacked with the full suite (the others: the grid suite)
    weights: str | None         # published weights file, for a `pretrained` run
    variant: str | None         # which published model the weights are (AASIST, AASIST-L)
    overrides: dict             # the entry's `set:`
    test_sets: tuple[str, ...] | None  # only these test sets (None: all); for models too slow for all on a CPU
    clips_per_system: int | None       # score each test set on this many clips per system (None: all)
    attacked: bool              # whether its checkpoints are attacked

    @property
    def final(self) -> str:
        return self.stages[-1]

    def shift_tested(self, stage: str) -> bool:
        """Whether `stage` is scored on the codec/vocoder shift sets: the final stage only. Each
        shift set costs a scoring process per checkpoint, and the tables compare shift sets at the
        final stage (the curriculum table's shift columns are those every stage shares: none)."""
        return stage == self.final

    def init_of(self, stage: str) -> str | None:
        """The stage whose checkpoint `stage` warm-starts from (None for the first)."""
        if stage not in self.stages:
            raise RunError(f"run {self.id} has no stage {stage!r} (its stages: {', '.join(self.stages)})")
        i = self.stages.index(stage)
        return self.stages[i - 1] if i else None

    def checkpoint_dir(self, stage: str) -> str:
        """Where the run's checkpoint of `stage` is written (relative to the project root)."""
        return f"{MODELS}/{self.id}/{stage}"


def lookup(params: dict, dotted: str):
    """params["a"]["b"] for "a.b"."""
    value = params
    for part in dotted.split("."):
        value = value[part]
    return value


def runs(params: dict) -> list[Run]:
    """Every run of params `runs`, entries in file order, seeds in listed order."""
    out = []
    for entry, spec in params["runs"].items():
        stages = tuple(spec["stages"])
        evaluated = stages if spec.get("evaluate") == "all" else (stages[-1],)
        for seed in spec["seeds"]:
            out.append(Run(
                id=f"{entry}_s{seed}",
                entry=entry,
                seed=int(seed),
                config=spec["config"],
                architecture=lookup(params, spec["config"])["architecture"],
                stages=stages,
                corpus=spec.get("corpus", params["corpora"]["train"]),
                evaluated=evaluated,
                full_attacks=tuple(s for s in spec.get("full_attacks", ()) if s in evaluated),
                weights=spec.get("weights"),
                variant=spec.get("variant"),
                overrides=dict(spec.get("set", {})),
                test_sets=tuple(spec["test_sets"]) if "test_sets" in spec else None,
                clips_per_system=spec.get("clips_per_system"),
                attacked=spec.get("attack", True),
            ))
    return out


def find_run(params: dict, run_id: str) -> Run:
    for run in runs(params):
        if run.id == run_id:
            return run
    raise RunError(f"no run {run_id!r} in params runs (runs: {', '.join(r.id for r in runs(params))})")


def test_set_names(run: Run, params: dict, stage: str | None = None) -> list[str]:
    """The sets the DAG scores and evaluates `run` (at `stage`, default its final one) on: its
    corpus's eval split, the codec and vocoder shift sets (codec_<name>, vocoder_<name>) when it
    trained on the corpus they were made from and the stage is Run.shift_tested, and every test
    corpus it did not train on (cross-corpus); `test_sets:` keeps a subset. The dev split is not
    among them: each checkpoint carries its dev scores."""
    names = ["eval"]
    if run.corpus == params["corpora"]["train"] and run.shift_tested(stage or run.final):
        names += [f"{kind}_{name}" for kind, section in (("codec", "codecs"), ("vocoder", "vocoders"))
                  for name in params["shift"][section]]
    names += [corpus for corpus in params["corpora"]["test"] if corpus != run.corpus]
    return [name for name in names if run.test_sets is None or name in run.test_sets]


def run_params(params: dict, run: Run) -> dict:
    """params as a stage of `run` sees them: overrides applied, base.seed = the run's seed, and
    the run's model config under "model" (the trainer builds params["model"])."""
    # copy_tree, not deepcopy: YAML aliases would stay shared under deepcopy, so an override of
    # one would silently change the other; and it copies without counting as reads (params_log)
    resolved = copy_tree(params)
    for dotted, value in run.overrides.items():
        *parents, last = dotted.split(".")
        section = lookup(resolved, ".".join(parents)) if parents else resolved
        if last not in section:
            raise RunError(f"run {run.entry}: `set` names {dotted!r}, which params.yaml does not have")
        section[last] = copy.deepcopy(value)
    resolved["model"] = lookup(resolved, run.config)
    resolved["base"]["seed"] = run.seed
    return check_sample_rates(resolved)


def with_seed(params: dict, seed: int) -> dict:
    """A copy of params with base.seed = seed: the seed of everything a stage draws. It is a run's
    (params `runs`, run_params), never a params.yaml value, which every run would overwrite."""
    params = copy_tree(params)
    params["base"]["seed"] = seed
    return params
