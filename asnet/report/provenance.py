"""Where the report came from: the source commit, the params file's digest, and the runtime the
inputs record.

Runtime is what the inputs carry, never the report's own clock (the bytes must not change with
the time of day): `wall_s` in a checkpoint.json (seconds a training stage took; read when the
trainer writes it) and the `wall_s` of every attack result (a minimum-norm attack's one run is
shared by its budgets, which then carry the same wall_s: counted once). Scoring and evaluation
record no time.
"""
from __future__ import annotations

import hashlib
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from asnet.checkpoint import META
from asnet.report.collect import Results, read_json_or_note


def source_commit(directory: Path) -> str:
    """`git rev-parse HEAD` in `directory` (+ "-dirty" with uncommitted changes to tracked files), else "unknown"."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    if not head:
        return "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def params_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Runtime:
    train_s: float
    train_recorded: int  # training stages whose checkpoint.json has wall_s
    train_stages: int
    attack_s: float
    attack_recorded: int  # checkpoints with attack results
    attack_checkpoints: int

    def describe(self) -> str:
        def hours(seconds: float) -> str:
            return f"{seconds / 3600:.2f} h"

        train = (f"training {hours(self.train_s)} ({self.train_recorded} of {self.train_stages} stages record it)"
                 if self.train_recorded else f"training not recorded (no checkpoint.json of {self.train_stages} stages has wall_s)")
        attack = (f"attacks {hours(self.attack_s)} ({self.attack_recorded} of {self.attack_checkpoints} checkpoints)"
                  if self.attack_recorded else "attacks not recorded (no attack results)")
        return f"{train}; {attack}; scoring and evaluation record no time"


def runtime(results: Results) -> Runtime:
    train_s, recorded, stages = 0.0, 0, 0
    for entry_runs in results.runs.values():
        for run in entry_runs:
            for stage in run.stages:
                stages += 1
                meta = read_json_or_note(results.root / "models" / run.id / stage / META, [])
                if meta and isinstance(meta.get("wall_s"), (int, float)):
                    train_s, recorded = train_s + meta["wall_s"], recorded + 1
    attack_s, attacked, checkpoints = 0.0, 0, 0
    for group in results.checkpoints.values():
        for ck in group:
            checkpoints += 1
            rows = ck.attack_rows()
            if rows:
                attacked += 1
                # fsum: exact, so the set's iteration order cannot change the total
                attack_s += math.fsum(wall for _, wall in {(r["attack"], r["wall_s"]) for r in rows if r.get("wall_s") is not None})
    return Runtime(train_s, recorded, stages, attack_s, attacked, checkpoints)
