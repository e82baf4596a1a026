"""Everything the report reads, gathered from the DAG's output tree for the runs params lists.

Layout (the stage registry, asnet/pipeline/registry.py, writes it; the paths below are relative to --results):
    models/<run>/<stage>/checkpoint.json      thresholds, temperature, training corpora/systems, dev metrics
    scores/<run>/<stage>/<set>.tsv            asnet.eval.scorefile
    metrics/<run>/<stage>/<set>.json          asnet.eval.evaluate (dev included)
    attacks/<run>/<stage>/summary.json        asnet.attacks.runner (+ one <attack>-<budget>.json per result)
    claim_attacks/<run>/<stage>/summary.json  the same for the claims suite (asnet attack --suite claim)
    train/<run>/<stage>/plots/metrics/**.tsv  DVCLive curves (step + value per epoch)

A model (a row of a table) is an entry of params `runs` at one stage; its checkpoints are the
entry's seeds. Whatever is absent or unreadable is recorded in `Results.notes` by path and left
out: the report renders any subset of the results.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from asnet.checkpoint import META
from asnet.report.config import ReportConfig
from asnet.runs import PRETRAINED, Run, runs, test_set_names

# display names of the entries params.yaml ships; any other entry is shown by its name
DISPLAY = {"asnet": "ASNet", "lcnn": "LCNN", "rawnet2": "RawNet2", "trivial": "Trivial cues",
           "aasist_published": "AASIST (published)"}
ROLES = ("asnet", "baseline", "reference", "other", "ablation")  # the order rows appear in
SANITY_ONLY = ("pgd_linf_unbounded", "pgd_linf_more_steps", "pgd_linf_more_restarts")  # attack checks, not benchmarks


@dataclass
class Checkpoint:
    """One (run, stage): what the DAG wrote for it. Scores and attack results load on first use."""

    run: Run
    stage: str
    root: Path
    notes: list[str]
    meta: dict | None = None
    metrics: dict[str, dict] = field(default_factory=dict)
    attack_summary: dict | None = None
    claim_summary: dict | None = None        # the claims suite's results (claim_attacks/), when the DAG ran it
    _scores: dict = field(default_factory=dict, repr=False)
    _attacks: dict = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return f"{self.run.id}/{self.stage}"

    def path(self, kind: str) -> Path:
        return self.root / kind / self.run.id / self.stage

    def scores(self, test_set: str):
        """The ScoreTable of a scored test set, None when absent or unreadable."""
        if test_set not in self._scores:
            from asnet.eval.metrics import ScoreError
            from asnet.eval.scorefile import read_scores

            path = self.path("scores") / f"{test_set}.tsv"
            table = None
            if path.is_file():
                try:
                    table = read_scores(path)
                except (ScoreError, OSError) as error:
                    self.notes.append(f"unreadable scores {path}: {error}")
            self._scores[test_set] = table
        return self._scores[test_set]

    def attack_rows(self) -> list[dict]:
        return list(self.attack_summary["results"]) if self.attack_summary else []

    def attack_result(self, attack: str, budget: float, kind: str = "attacks") -> dict | None:
        """The full result JSON (per-clip values included) of one attack at one budget, of the
        checkpoint's suite (kind "attacks") or of the claims suite (kind "claim_attacks")."""
        summary = self.attack_summary if kind == "attacks" else self.claim_summary
        rows = summary["results"] if summary else []
        row = next((r for r in rows if r["attack"] == attack and same_budget(r["budget"], budget)), None)
        if row is None:
            return None
        key = (kind, row["name"])
        if key not in self._attacks:
            self._attacks[key] = read_json_or_note(self.path(kind) / f"{row['name']}.json", self.notes)
        return self._attacks[key]


@dataclass
class Model:
    """An entry at one stage, over its seeds (the unit of a table row)."""

    entry: str
    stage: str
    role: str
    checkpoints: list[Checkpoint]
    stage_in_label: bool = False

    @property
    def label(self) -> str:
        name = DISPLAY.get(self.entry, self.entry)
        return f"{name} ({self.stage})" if self.stage_in_label else name


@dataclass(frozen=True)
class SetNames:
    codecs: tuple[str, ...]    # codec_<name>, params order
    vocoders: tuple[str, ...]  # vocoder_<name>
    corpora: tuple[str, ...]   # cross-corpus test corpora

    @classmethod
    def from_params(cls, params: dict) -> "SetNames":
        return cls(codecs=tuple(f"codec_{n}" for n in params["shift"]["codecs"]),
                   vocoders=tuple(f"vocoder_{n}" for n in params["shift"]["vocoders"]),
                   corpora=tuple(params["corpora"]["test"]))

    @property
    def shift(self) -> tuple[str, ...]:
        return self.codecs + self.vocoders


def condition(test_set: str) -> str:
    """codec_mp3_16k -> mp3_16k (the name params use)."""
    return test_set.split("_", 1)[1] if test_set.startswith(("codec_", "vocoder_")) else test_set


def same_budget(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def read_json_or_note(path: Path, notes: list[str]) -> dict | None:
    if not path.is_file():
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        notes.append(f"unreadable {path}: {error}")
        return None


def read_curves(live: Path, notes: list[str]) -> dict[str, list[tuple[float, float]]]:
    """DVCLive's plots/metrics/<name>.tsv files: {"train/total": [(step, value), ...], ...}."""
    base = live / "plots" / "metrics"
    curves = {}
    for path in sorted(base.rglob("*.tsv")) if base.is_dir() else []:
        try:
            with open(path, newline="") as f:
                rows = list(csv.reader(f, delimiter="\t"))
            curves[str(path.relative_to(base).with_suffix(""))] = [(float(s), float(v)) for s, v in rows[1:]]
        except (OSError, ValueError) as error:
            notes.append(f"unreadable training curve {path}: {error}")
    return curves


def load_checkpoint(run: Run, stage: str, root: Path, params: dict, notes: list[str]) -> Checkpoint:
    ck = Checkpoint(run, stage, root, notes)
    ck.meta = read_json_or_note(ck.path("models") / META, notes)
    absent = []
    for name in ["dev", *test_set_names(run, params, stage)]:
        metrics = read_json_or_note(ck.path("metrics") / f"{name}.json", notes)
        if metrics is None:
            absent.append(name)
        else:
            ck.metrics[name] = metrics
    if ck.meta is None:
        notes.append(f"{ck.id}: no checkpoint (models/{ck.id}/{META})")
    if absent:
        notes.append(f"{ck.id}: no metrics for {', '.join(absent)}")
    ck.attack_summary = read_json_or_note(ck.path("attacks") / "summary.json", notes)
    ck.claim_summary = read_json_or_note(ck.path("claim_attacks") / "summary.json", notes)
    if ck.attack_summary is None and run.attacked:
        notes.append(f"{ck.id}: no attack results (attacks/{ck.id}/summary.json)")
    return ck


@dataclass
class Results:
    params: dict
    config: ReportConfig
    root: Path
    sets: SetNames
    roles: dict[str, str]                    # entry -> role, params `runs` order
    stages: dict[str, tuple[str, ...]]       # entry -> evaluated stages
    checkpoints: dict[tuple[str, str], list[Checkpoint]]
    runs: dict[str, list[Run]]                         # entry -> its runs (seeds), params order
    curves: dict[tuple[str, str], dict[str, list]]     # (run id, training stage) -> DVCLive curves
    notes: list[str]
    neural: tuple[str, ...] = ()             # spoof systems the corpus declares neural (neural_systems)

    def model(self, entry: str, stage: str | None = None, stage_in_label: bool = False) -> Model | None:
        """`entry` at `stage` (default: the claims stage for ASNet, the final stage otherwise)."""
        if entry not in self.roles:
            return None
        stage = stage or self.default_stage(entry)
        if (entry, stage) not in self.checkpoints:
            return None
        return Model(entry, stage, self.roles[entry], self.checkpoints[(entry, stage)], stage_in_label)

    def default_stage(self, entry: str) -> str:
        return default_stage(self.runs[entry][0], self.config)

    def by_role(self, *roles: str) -> list[Model]:
        """The default-stage model of every entry with one of `roles`, in ROLES order, then
        report-list order for baselines and references, then params order."""
        listed = {"baseline": self.config.baselines, "reference": self.config.references}
        out = []
        for role in sorted(roles, key=ROLES.index):
            entries = [e for e, r in self.roles.items() if r == role]
            if role in listed:
                entries = [e for e in listed[role] if e in entries]
            out += [self.model(e) for e in entries]
        return [m for m in out if m is not None]

    def main_models(self) -> list[Model]:
        """ASNet, the baselines, the reference rows and any other non-ablation entry."""
        return self.by_role("asnet", "baseline", "reference", "other")

    def asnet(self) -> Model | None:
        return self.model(self.config.asnet_entry)

    def curriculum(self) -> list[Model]:
        entry = self.config.asnet_entry
        return [self.model(entry, s, stage_in_label=True) for s in self.stages.get(entry, ())]


def default_stage(run: Run, config: ReportConfig) -> str:
    """The stage a model is shown at: report.asnet.stage for ASNet, the final stage otherwise."""
    if run.entry == config.asnet_entry and config.asnet_stage in run.evaluated:
        return config.asnet_stage
    return run.evaluated[-1]


def first_runs(params: dict) -> dict[str, Run]:
    """The first run (seed) of every entry, params order."""
    first: dict[str, Run] = {}
    for run in runs(params):
        first.setdefault(run.entry, run)
    return first


def entry_roles(params: dict, config: ReportConfig) -> dict[str, str]:
    first = first_runs(params)
    asnet_config = first[config.asnet_entry].config if config.asnet_entry in first else None
    return {entry: role_of(entry, run, config, asnet_config) for entry, run in first.items()}


def role_of(entry: str, run: Run, config: ReportConfig, asnet_config: str | None) -> str:
    if entry == config.asnet_entry:
        return "asnet"
    if entry in config.baselines:
        return "baseline"
    if entry in config.references:
        return "reference"
    return "ablation" if asnet_config is not None and run.config == asnet_config else "other"


def collect(params: dict, config: ReportConfig, root: str | Path) -> Results:
    root, notes = Path(root), []
    sets = SetNames.from_params(params)
    all_runs, first = runs(params), first_runs(params)
    for name in (config.asnet_entry, *config.baselines, *config.references):
        if name not in first:
            notes.append(f"params report names {name!r}, which params runs does not list")
    if config.asnet_entry in first and config.asnet_stage not in first[config.asnet_entry].evaluated:
        notes.append(f"params report.asnet.stage {config.asnet_stage!r} is not an evaluated stage of "
                     f"{config.asnet_entry!r}: its final stage stands in")
    stages = {entry: run.evaluated for entry, run in first.items()}
    checkpoints: dict[tuple[str, str], list[Checkpoint]] = {}
    by_entry: dict[str, list[Run]] = {}
    curves = {}
    for run in all_runs:
        by_entry.setdefault(run.entry, []).append(run)
        for stage in run.evaluated:
            checkpoints.setdefault((run.entry, stage), []).append(
                load_checkpoint(run, stage, root, params, notes))
        if run.final != PRETRAINED and run.architecture != "trivial":  # imported and fitted models have no curves
            for stage in run.stages:
                curves[(run.id, stage)] = read_curves(root / "train" / run.id / stage, notes)
                if not curves[(run.id, stage)]:
                    notes.append(f"{run.id}/{stage}: no training curves (train/{run.id}/{stage}/plots/metrics)")
    return Results(params, config, root, sets, entry_roles(params, config), stages, checkpoints, by_entry, curves, notes,
                   neural_systems(params))


def neural_systems(params: dict) -> tuple[str, ...]:
    """The spoof systems the training corpus declares neural (end-to-end neural TTS, neural
    vocoders): params prepare_<corpus>.neural_systems, which the corpus's prepare stage reads;
    none when the corpus declares nothing."""
    section = params.get(f"prepare_{params['corpora']['train']}") or {}
    return tuple(section.get("neural_systems") or ())
