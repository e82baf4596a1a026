"""Running a suite over one checkpoint's subset and writing its results.

--out receives one JSON per (attack, budget), named <attack>-eps<eps>.json (L∞) or
<attack>-snr<dB>.json (L2), e.g. pgd_linf-eps0.002.json, cw_l2-snr30.json, and summary.json:
every result as one row, the clean metrics, BPDA-vs-naive success per eps and the sanity checks
with their numbers. Each file is written atomically as soon as its job ends, summary.json last
(and removed first), so an interrupted run leaves only complete results and no summary. A rerun
reuses a job's results when all of its files carry the fingerprint the job would write now
(checkpoint digest, clips, attack settings, EOT, seed, device type, the asnet source code and
the torch version), and recomputes it otherwise: each job seeds its own random generators, so a reused result equals a recomputed one.
"""
from __future__ import annotations

import hashlib
import json
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from asnet.attacks import norms
from asnet.attacks.config import AttackConfig
from asnet.attacks.metrics import ClipOutputs, attack_metrics, clean_metrics
from asnet.attacks.sanity import run_checks
from asnet.attacks.subset import Subset
from asnet.attacks.suite import Batch, Job
from asnet.attacks.target import AttackTarget
from asnet.utils import progress, read_json, write_json

FORMAT = 1  # bump when a result's meaning changes, so old files are never reused
SUMMARY = "summary.json"


def code_digest() -> str:
    """Of every asnet source file: a result made by other code is never reused."""
    import asnet

    digest = hashlib.sha256()
    for path in sorted(Path(asnet.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def job_seed(seed: int, attack: str) -> int:
    """A job's own seed: independent of which other jobs run, and in which order."""
    return (seed * 1_000_003 + zlib.crc32(attack.encode())) % 2**31


def deployed_outputs(target: AttackTarget, waves: torch.Tensor, batch_size: int) -> ClipOutputs:
    parts = []
    with torch.no_grad():
        for start in range(0, len(waves), batch_size):
            out = target.deployed(waves[start : start + batch_size])
            parts.append([out.score, out.energy, out.abstain])
    return ClipOutputs(*(torch.cat(column).cpu().numpy().astype(np.float64) for column in zip(*parts)))


@dataclass
class Runner:
    target: AttackTarget
    subset: Subset
    config: AttackConfig
    identity: dict  # checkpoint path, stage, architecture, digest: copied into every result
    out: Path
    device: torch.device

    def __post_init__(self):
        self.out = Path(self.out)
        self.clean_waves = torch.from_numpy(self.subset.waves).to(self.device)
        self.labels = torch.from_numpy(self.subset.labels).to(self.device)
        self.clean = deployed_outputs(self.target, self.clean_waves, self.config.batch_size)
        point = self.target.point
        self.clean_metrics = clean_metrics(self.clean, self.subset.labels, point, self.config.ece_bins)
        self.code = code_digest()
        self.clean_correct = int(((self.clean.score > point.threshold) == (self.subset.labels == 1)).sum())

    # ------------------------------------------------------------ one job
    def fingerprint(self, job: Job) -> str:
        key = {"format": FORMAT, "identity": self.identity, "attack": job.attack, "budgets": job.budgets,
               "settings": job.settings, "eot": self.config.eot, "seed": self.config.seed,
               "batch_size": self.config.batch_size, "ece_bins": self.config.ece_bins, "device": self.device.type,
               "clips": self.subset.utt_id, "clip_samples": self.config.clip_samples, "code": self.code,
               "torch": torch.__version__}
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()

    def reusable(self, job: Job, fingerprint: str) -> list[dict] | None:
        paths = [self.out / f"{job.name(b)}.json" for b in job.budgets]
        if not all(p.exists() for p in paths):
            return None
        results = [read_json(p) for p in paths]
        return results if all(r.get("fingerprint") == fingerprint for r in results) else None

    def attack(self, job: Job) -> tuple[dict[float, tuple[np.ndarray, np.ndarray | None]], float]:
        """(budget -> (adversarial waves, queries per clip or None), seconds spent attacking)."""
        from asnet.features.bpda import surrogates

        seed = job_seed(self.config.seed, job.attack)
        torch.manual_seed(seed)
        self.target.eot.reseed(seed)
        rng = np.random.default_rng(seed)
        found: dict[float, list] = {b: [[], []] for b in job.budgets}
        start = time.perf_counter()
        with surrogates(job.spec.surrogates):
            for i, first in enumerate(range(0, len(self.clean_waves), self.config.batch_size)):
                rows = slice(first, first + self.config.batch_size)
                batch = Batch(self.target, self.clean_waves[rows], self.labels[rows], job.budgets, job.settings,
                              seed + i, rng)
                for budget, (adversarial, queries) in job.spec.run(batch).items():
                    found[budget][0].append(adversarial.detach().cpu())
                    found[budget][1].append(None if queries is None else queries.cpu())
        wall = time.perf_counter() - start
        return {b: (torch.cat(a).numpy(), None if q[0] is None else torch.cat(q).numpy()) for b, (a, q) in found.items()}, wall

    def result(self, job: Job, budget: float, adversarial: np.ndarray, queries: np.ndarray | None, wall: float,
               fingerprint: str) -> dict:
        spec = job.spec
        adversarial_t = torch.from_numpy(adversarial).to(self.device)
        adv = deployed_outputs(self.target, adversarial_t, self.config.batch_size)
        delta = torch.from_numpy(adversarial - self.subset.waves)
        clean = torch.from_numpy(self.subset.waves)
        snr = norms.snr_db(clean, delta).numpy()
        metrics, success = attack_metrics(self.subset.labels, self.clean, adv, self.target.point, spec.goal,
                                          self.config.ece_bins, snr, queries)
        linf, l2 = norms.linf(delta).numpy(), norms.l2(delta).numpy()
        per_clip = [
            {"utt_id": u, "system": s, "label": int(y), "clean_score": self.clean.score[i], "adv_score": adv.score[i],
             "clean_energy": self.clean.energy[i], "adv_energy": adv.energy[i], "clean_abstain": self.clean.abstain[i],
             "adv_abstain": adv.abstain[i], "linf": linf[i], "l2": l2[i], "snr_db": snr[i], "success": bool(success[i]),
             "queries": None if queries is None else int(queries[i])}
            for i, (u, s, y) in enumerate(zip(self.subset.utt_id, self.subset.system, self.subset.labels))
        ]
        return {
            "name": job.name(budget), "attack": job.attack, "norm": spec.norm, "goal": spec.goal,
            "knowledge": spec.knowledge, "surrogates": spec.surrogates,
            "budget": {"kind": "eps" if spec.norm == "linf" else "snr_db", "value": budget},
            "settings": job.settings, "eot": self.config.eot, **self.identity,
            "subset": {"clips": len(self.subset.utt_id), "clip_seconds": self.config.clip_seconds,
                       "seed": self.config.seed, "clean_correct": self.clean_correct},
            "operating_point": asdict(self.target.point),
            "clean": self.clean_metrics, "adversarial": metrics,
            "wall_s": wall, "wall_shared_by_budgets": spec.minimum_norm,
            "device": self.device.type, "fingerprint": fingerprint, "per_clip": per_clip,
        }

    def run_job(self, job: Job) -> list[dict]:
        fingerprint = self.fingerprint(job)
        reused = self.reusable(job, fingerprint)
        if reused is not None:
            return reused
        found, wall = self.attack(job)
        results = [self.result(job, b, *found[b], wall, fingerprint) for b in job.budgets]
        for r in results:
            write_json(self.out / f"{r['name']}.json", r)
        return results

    # ------------------------------------------------------------ the suite
    def run(self, jobs: list[Job], suite: str) -> dict:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / SUMMARY).unlink(missing_ok=True)
        results = [r for job in progress(jobs, desc="attacks", unit="attack") for r in self.run_job(job)]
        rows = [summary_row(r) for r in results]
        checks = run_checks(rows, self.config.sanity)
        summary = {
            **self.identity, "suite": suite, "subset": results[0]["subset"] if results else {},
            "operating_point": asdict(self.target.point), "clean": self.clean_metrics, "results": rows,
            "bpda_vs_naive": bpda_vs_naive(rows), "sanity": [c.as_dict() for c in checks],
            "passed": all(c.status != "fail" for c in checks),
        }
        write_json(self.out / SUMMARY, summary)
        return summary


def summary_row(result: dict) -> dict:
    adv = result["adversarial"]
    return {
        "name": result["name"], "attack": result["attack"], "norm": result["norm"], "goal": result["goal"],
        "knowledge": result["knowledge"], "budget": result["budget"]["value"],
        "clips": result["subset"]["clips"], "clean_correct": result["subset"]["clean_correct"],
        "robust_accuracy": adv["robust_accuracy"], "success_rate": adv["success_rate"],
        "undetected_flip_rate": adv["undetected_flip_rate"]["all"], "caught_rate": adv["caught_rate"],
        "eer_spoof_attacked": adv["spoof_attacked"]["eer"], "auc_spoof_attacked": adv["spoof_attacked"]["auc"],
        "eer_both_attacked": adv["both_attacked"]["eer"], "auc_both_attacked": adv["both_attacked"]["auc"],
        "abstain_rate": adv["abstain_rate"], "ood_rate": adv["ood_rate"], "ece": adv["ece"],
        "snr_db_mean": adv["snr_db"]["mean"], "snr_db_median": adv["snr_db"]["median"],
        "queries_mean": None if adv["queries"] is None else adv["queries"]["mean"], "wall_s": result["wall_s"],
    }


def bpda_vs_naive(rows: list[dict]) -> list[dict]:
    """Success of PGD with and without the BPDA surrogates at each eps both ran."""
    bpda = {r["budget"]: r for r in rows if r["attack"] == "pgd_linf"}
    naive = {r["budget"]: r for r in rows if r["attack"] == "pgd_linf_naive"}
    return [{"eps": eps, "bpda": bpda[eps]["success_rate"]["all"], "naive": naive[eps]["success_rate"]["all"]}
            for eps in sorted(set(bpda) & set(naive))]
