"""The one trainer: every curriculum stage, every baseline and the trivial-cue model run through `run_stage`.

What a stage run does, in order:
    1. seed everything from params base.seed; pick the device (CUDA when present, else CPU);
       on CPU, deterministic algorithms, so the same inputs give byte-identical outputs.
    2. build the model from params model (ASNet or a baseline: asnet.models.build_model; the
       trivial-cue model is fitted, not trained); warm-start from --init (the previous stage's
       checkpoint, loaded strictly: every weight must match).
    3. AdamW + linear warm-up + cosine LR (asnet.train.optim), gradient clipping, optional EMA,
       bf16 autocast on CUDA only; SAM (asnet.train.sam) when the stage's use_sam is set.
    4. per epoch: class-balanced random crops (asnet.train.data), the stage objective
       (asnet.train.stages), then the dev split is scored exactly as `asnet score` scores it
       (asnet.eval.inference.run_model; on the calibration subset of dev, params
       eval.calibration_subset) and every loss term, diagnostic and dev metric is
       logged with DVCLive; then the whole training state is saved atomically for resuming.
    5. at the end: temperature, abstention threshold, EER operating point and OOD threshold fitted
       on dev (asnet.eval.calibrate), then the checkpoint (safetensors + JSON + dev scores,
       asnet.checkpoint) is written; the saved, evaluated and calibrated weights are the
       same (the EMA weights when EMA is on).

Data-parallel: under `torchrun --nproc_per_node N` each process trains on its slice of every
global batch and the gradients are averaged (asnet.train.distributed); only process 0 scores dev,
logs, saves resume state and writes the checkpoint.

Resuming: a run killed at any point (SIGINT, SIGKILL) restarts from its last completed epoch
when rerun with the same arguments: model, optimizer, scheduler, EMA and every RNG state are
restored and the DVCLive logs are rebuilt from the saved history, so the result is identical to
an uninterrupted run. The state lives outside the stage's DVC output (DVC deletes outputs
before rerunning a stage) and carries a fingerprint of params, data and init weights: a state
from a different configuration is ignored.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from asnet.data.shards import WaveShards
from asnet.eval.calibrate import calibrate_on_dev, calibration_split, dev_metrics, score_dev, write_dev_scores
from asnet.train.data import plan_epoch, trainable_labels
from asnet.train.distributed import (Context, average_gradients, broadcast_from_main, global_batchnorm,
                                     mean_over_processes, setup, teardown)
from asnet.train.loader import PlannedSteps, auto_workers, host_batches
from asnet.train.optim import WeightEMA, build_optimizer, build_scheduler
from asnet.train.sam import sam_step
from asnet.train.stages import STAGES, Objective, StepInputs, loss_terms
from asnet.utils import atomic_path, file_sha256, seed_everything

RESUME_FILE = "state.pt"


@dataclass(frozen=True)
class Settings:
    """A stage's optimisation settings, read from params (train.common + train.<stage>)."""

    stage: str
    epochs: int
    steps_per_epoch: int | None  # None: one pass over the train split
    lr: float
    sam_rho: float | None  # None: plain steps
    batch_size: int
    weight_decay: float
    warmup_fraction: float
    min_lr_ratio: float
    grad_clip: float
    ema_decay: float  # 0: no EMA
    amp: bool
    seed: int
    crop_samples: int

    @classmethod
    def from_params(cls, stage: str, params: dict) -> "Settings":
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r} (one of {', '.join(STAGES)})")
        common, own = params["train"]["common"], params["train"][stage]
        return cls(
            stage=stage,
            epochs=own["epochs"],
            steps_per_epoch=own["steps_per_epoch"],
            lr=own["lr"],
            sam_rho=params["train"]["sam"]["rho"] if own["use_sam"] else None,
            batch_size=common["batch_size"],
            weight_decay=common["weight_decay"],
            warmup_fraction=common["warmup_fraction"],
            min_lr_ratio=common["min_lr_ratio"],
            grad_clip=common["grad_clip"],
            ema_decay=common["ema_decay"],
            amp=common["amp"],
            seed=params["base"]["seed"],
            crop_samples=round(params["base"]["clip_seconds"] * params["base"]["sample_rate"]),
        )


def select_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_stage_model(params: dict, init: str | Path | None, device: torch.device) -> torch.nn.Module:
    """The model of params model, seeded; with the weights of checkpoint dir `init` if given."""
    from safetensors.torch import load_file

    from asnet.models import build_model
    from asnet.checkpoint import WEIGHTS

    torch.manual_seed(params["base"]["seed"])
    model = build_model(params["model"])
    if init is not None:
        model.load_state_dict(load_file(str(Path(init) / WEIGHTS)), strict=True)
    return model.to(device)


class StageTrainer:
    """Model + optimizer + schedule + EMA + RNGs of one stage, stepped an epoch at a time."""

    def __init__(self, settings: Settings, params: dict, model: torch.nn.Module, train: WaveShards,
                 device: torch.device, context: Context | None = None, loader_workers: int = 0):
        self.settings, self.model, self.train, self.device = settings, model, train, device
        self.loader_workers = loader_workers
        self.context = context or Context(device=device)
        self.labels = trainable_labels(train)
        self.objective = Objective(settings.stage, params, loss_terms(model))
        self.optimizer = build_optimizer(model, settings.lr, settings.weight_decay)
        self.steps_per_epoch = settings.steps_per_epoch or math.ceil(np.sum(self.labels >= 0) / settings.batch_size)
        total_steps = self.steps_per_epoch * settings.epochs
        self.scheduler = build_scheduler(self.optimizer, total_steps, settings.warmup_fraction, settings.min_lr_ratio)
        self.ema = WeightEMA(model, settings.ema_decay) if settings.ema_decay > 0 else None
        self.rng = np.random.default_rng([settings.seed, STAGES.index(settings.stage)])
        self.epoch = 0  # completed epochs
        self.history: list[dict] = []  # one record of logged values per completed epoch

    def autocast(self):
        """bf16 mixed precision on CUDA (no loss scaling needed); full precision on CPU."""
        enabled = self.settings.amp and self.device.type == "cuda"
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=enabled)

    def host_steps(self, plan) -> PlannedSteps:
        """The host side of planned steps for this process's rows of each global batch."""
        rows = self.context.local_slice(self.settings.batch_size)
        return PlannedSteps(self.train, self.labels, plan, self.settings.crop_samples, rows, self.objective)

    def plan(self, n_steps: int):
        s = self.settings
        return plan_epoch(self.train, self.labels, s.batch_size, n_steps, s.crop_samples, self.rng)

    def step(self, host: StepInputs) -> dict[str, float]:
        """One optimizer step on this process's slice of a global batch."""
        self.model.train()
        with self.autocast():
            inputs = self.objective.prepare(self.model, host, self.device)

        def compute_loss():
            with self.autocast():
                return self.objective(self.model, inputs)

        def synchronise():
            average_gradients(self.model, self.context)

        if self.settings.sam_rho is None:
            self.optimizer.zero_grad(set_to_none=True)
            loss, parts = compute_loss()
            loss.backward()
            synchronise()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.settings.grad_clip)
            self.optimizer.step()
        else:
            _, parts, perturbed = sam_step(self.model, compute_loss, self.optimizer, self.settings.sam_rho,
                                           self.settings.grad_clip, after_backward=synchronise)
            parts = parts | {"total_perturbed": float(perturbed)}
        parts = mean_over_processes(parts, self.context)
        if not math.isfinite(parts["total"]):
            raise FloatingPointError(f"stage {self.settings.stage}, epoch {self.epoch + 1}: non-finite loss {parts}")
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model)
        return parts

    def train_epoch(self) -> tuple[dict[str, float], float]:
        """One epoch; returns (mean of every logged part, clips per second)."""
        sums: dict[str, float] = {}
        start, clips = time.perf_counter(), 0
        steps = self.host_steps(self.plan(self.steps_per_epoch))
        for host in host_batches(steps, self.loader_workers, pin_memory=self.device.type == "cuda"):
            for name, value in self.step(host).items():
                sums[name] = sums.get(name, 0.0) + value
            clips += self.settings.batch_size
        self.epoch += 1
        means = {name: total / self.steps_per_epoch for name, total in sums.items()}
        return means, clips / (time.perf_counter() - start)

    def evaluation_model(self) -> torch.nn.Module:
        """The weights to evaluate and save, in eval mode: the EMA weights when EMA is on."""
        if self.ema is None:
            return self.model.eval()
        averaged = copy.deepcopy(self.model)
        averaged.load_state_dict(self.ema.state_dict())
        return averaged.eval()

    def state_dict(self) -> dict:
        state = {
            "epoch": self.epoch,
            "history": self.history,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        if torch.cuda.is_available():
            state["cuda_rng"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.history = state["epoch"], state["history"]
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])


# ---------------------------------------------------------------- logging and resuming
def open_live(live_dir: Path, history: list[dict]):
    """A fresh DVCLive run in live_dir, replaying the epochs already trained (after a resume)."""
    from dvclive import Live

    shutil.rmtree(live_dir, ignore_errors=True)
    live = Live(dir=str(live_dir), save_dvc_exp=False, dvcyaml=False)
    for record in history:
        log_epoch(live, record)
    return live


def log_epoch(live, record: dict) -> None:
    for name, value in record["curves"].items():
        live.log_metric(name, value)
    for name, value in record["constants"].items():
        live.log_metric(name, value, plot=False)
    live.next_step()


def fingerprint(stage: str, params: dict, cache: Path, init: Path | None) -> str:
    """Identifies a run's configuration: params, the train/dev shards and the init weights."""
    from asnet.checkpoint import WEIGHTS

    data = {
        split: [file_sha256(cache / split / "index.csv"), (cache / split / "wave.npy").stat().st_size]
        for split in ("train", "dev")
    }
    identity = {"stage": stage, "params": params, "data": data, "init": file_sha256(init / WEIGHTS) if init else None}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def save_resume(path: Path, trainer: StageTrainer, key: str) -> None:
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save({"fingerprint": key, **trainer.state_dict()}, tmp)


def load_resume(path: Path, key: str) -> dict | None:
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["fingerprint"] != key:
        print(f"ignoring {path}: it belongs to another configuration", file=sys.stderr)
        return None
    return state


def default_live_dir(out: Path) -> Path:
    """results/models/<run>/<stage> -> results/train/<run>/<stage> (outside the checkpoint out)."""
    return out.parent.parent.parent / "train" / out.parent.name / out.name


def default_resume_dir(out: Path) -> Path:
    """results/models/<run>/<stage> -> results/models/<run>/.resume/<stage>."""
    return out.parent / ".resume" / out.name


# ---------------------------------------------------------------- one stage, end to end
@contextlib.contextmanager
def deterministic_algorithms(enabled: bool) -> Iterator[None]:
    """torch.use_deterministic_algorithms for the duration of a run, then as it was."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(before or enabled)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def train_remaining_epochs(trainer: StageTrainer, dev: WaveShards, params: dict, live, resume_path: Path, key: str):
    """Train, score dev, log and save the resume state, epoch by epoch; returns the last dev
    outputs and labels (None when no epoch was left to train)."""
    settings, last = trainer.settings, None
    weights = {f"weight/{name}": w for name, w in trainer.objective.weights.items()}
    if trainer.objective.needs_decision_threshold:
        trainer.objective.decision_threshold = initial_decision_threshold(trainer, dev, params)
    while trainer.epoch < settings.epochs:
        train_means, clips_per_s = trainer.train_epoch()
        if not trainer.context.main:  # process 0 scores, logs and saves; the others wait for it
            follow_decision_threshold(trainer, None)
            continue
        last = score_dev(trainer.evaluation_model(), dev, params, trainer.device)
        curves = {f"train/{k}": v for k, v in train_means.items()}
        curves |= {f"dev/{k}": v for k, v in dev_metrics(*last).items()}
        curves["lr"] = trainer.scheduler.get_last_lr()[0]
        record = {"curves": curves, "constants": weights}
        trainer.history.append(record)
        log_epoch(live, record)
        save_resume(resume_path, trainer, key)
        print(
            f"{settings.stage} epoch {trainer.epoch}/{settings.epochs}: loss {train_means['total']:.4f}"
            f" | dev AUC {curves['dev/auc']:.4f} EER {curves['dev/eer']:.2f}% | {clips_per_s:.1f} clips/s",
            file=sys.stderr,
        )
        follow_decision_threshold(trainer, curves["dev/eer_threshold"])
    return last


# The abstention head learns the errors of the deployed decision, score > the checkpoint's dev EER
# threshold (asnet.eval.decision), so its training target uses the dev EER threshold of the
# current weights: measured on dev before the first step and after every epoch's dev pass (one
# epoch stale at most). Not an estimate from the training batches' own scores: that would be
# free of dev labels, but on data the detector is fitted to, its batch EER threshold sits near the
# cross-entropy boundary 0, which is exactly the argmax rule the deployed threshold differs from
# (the demo's adv checkpoint: dev EER threshold +2.33). Dev enters training as this one scalar
# per epoch and never through a gradient (the target is detached); no test data is read.
def initial_decision_threshold(trainer: StageTrainer, dev: WaveShards, params: dict) -> float:
    """The dev EER threshold of the weights training starts (or resumes) from."""
    threshold = None
    if trainer.context.main:
        if trainer.history:  # resumed: the dev pass after the last completed epoch measured it
            threshold = trainer.history[-1]["curves"]["dev/eer_threshold"]
        else:
            threshold = dev_metrics(*score_dev(trainer.evaluation_model(), dev, params, trainer.device))["eer_threshold"]
    return broadcast_from_main(threshold, trainer.context)


def follow_decision_threshold(trainer: StageTrainer, threshold: float | None) -> None:
    """After an epoch: every process takes process 0's new dev EER threshold (a synchronisation
    point, as the barrier it replaces)."""
    if trainer.objective.needs_decision_threshold:
        trainer.objective.decision_threshold = broadcast_from_main(threshold, trainer.context)
    else:
        trainer.context.barrier()


def run_stage(
    stage: str,
    params: dict,
    cache: str | Path,
    out: str | Path,
    init: str | Path | None = None,
    live_dir: str | Path | None = None,
    resume_dir: str | Path | None = None,
    device: str = "auto",
    run_id: str | None = None,
    loader_workers: int | None = None,
) -> dict:
    """Train one stage on cache/train, calibrate on (a subset of) cache/dev, write the checkpoint
    to `out`; returns its metadata (checkpoint.json). `params` are the run's (asnet.runs.run_params).
    `loader_workers`: DataLoader workers of the host side (None: asnet.train.loader.auto_workers);
    the bytes trained do not depend on it."""
    from asnet.checkpoint import save_checkpoint

    cache, out = Path(cache), Path(out)
    init = Path(init) if init else None
    settings = Settings.from_params(stage, params)
    started = time.perf_counter()
    context = setup(select_device(device))
    torch_device = context.device
    with deterministic_algorithms(torch_device.type == "cpu"):
        seed_everything(settings.seed)
        train, dev = WaveShards(cache / "train"), calibration_split(WaveShards(cache / "dev"), params)
        model = build_stage_model(params, init, torch_device)
        if context.world > 1:
            model = global_batchnorm(model)
        if params["model"]["architecture"] == "trivial":
            final, epochs, last = fit_trivial(model, train, params, torch_device), 0, None
        else:
            workers = auto_workers(torch_device, context.world) if loader_workers is None else loader_workers
            final, epochs, last = train_stage(settings, params, model, train, dev, cache, init, live_dir, resume_dir,
                                              out, context, workers)
        meta = {}
        if context.main:
            calibration, (outputs, _) = calibrate_on_dev(final, dev, params, torch_device, outputs=last)
            meta = {
                "model": params["model"],
                "run": run_id,
                "seed": settings.seed,
                "stage": stage,
                "epoch": epochs,
                "init": str(init) if init else None,
                "train_corpora": [cache.name],
                "train_systems": sorted({c.system for c in train.clips if c.label != "bonafide"}),
                "loss_weights": Objective(stage, params, loss_terms(final)).weights,
                "sam_rho": settings.sam_rho,
                "processes": context.world,
                "dev_clips": len(dev),
                "wall_s": time.perf_counter() - started,  # read by the report; varies run to run
                **calibration,
            }
            save_checkpoint(out, final, meta)
            write_dev_scores(out, outputs, dev, meta["temperature"])
        teardown(context)
    return meta


def train_stage(settings: Settings, params: dict, model, train: WaveShards, dev: WaveShards, cache: Path,
                init: Path | None, live_dir, resume_dir, out: Path, context: Context, loader_workers: int = 0):
    """The epochs of one stage, resumable: (weights to save, epochs trained, last dev outputs or None)."""
    resume_path = Path(resume_dir or default_resume_dir(out)) / RESUME_FILE
    trainer = StageTrainer(settings, params, model, train, context.device, context, loader_workers)
    key = fingerprint(settings.stage, params, cache, init)
    state = load_resume(resume_path, key)
    if state is not None:
        trainer.load_state_dict(state)
        print(f"{settings.stage}: resuming after epoch {trainer.epoch} from {resume_path}", file=sys.stderr)
    live = open_live(Path(live_dir) if live_dir else default_live_dir(out), trainer.history) if context.main else None
    last = train_remaining_epochs(trainer, dev, params, live, resume_path, key)
    if context.main:
        live.end()
        resume_path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # only removed when empty
            resume_path.parent.rmdir()
    return trainer.evaluation_model(), trainer.epoch, last


def fit_trivial(model, train: WaveShards, params: dict, device: torch.device):
    """The trivial-cue baseline has no gradient training: its trees are fitted on the train split."""
    from asnet.models.baselines.trivial import fit

    return fit(train, params["model"], params["base"]["seed"]).to(device).eval()
