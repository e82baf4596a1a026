"""Split rule of the demo corpus (seeded, speaker- and language-disjoint).

1. The split unit is the language: all recordings of one language (hence of every speaker who
   speaks it: each ktuberling language folder, and for English also the pocketsphinx speakers)
   go to one split, so no speaker and no language is in two splits.
2. Languages are shuffled with numpy's default_rng(seed). In that order each language goes to a
   split that has none yet (train, dev, eval first), otherwise to the split furthest below its
   target share `split_fractions` of the bona fide recordings.
3. Spoofs inherit speaker, language and split from the recording they derive from (its text for
   TTS, its audio for vocoders and voice conversion). Seen systems make spoofs in every split;
   unseen systems (`unseen_systems`) only of eval recordings, so they occur only in eval.
4. `smoke` keeps, per split, a seeded random subset of its recordings: as many as fit in that
   split's share of `smoke_clips` (counting each recording with its spoofs).
5. Each recording gets `spoofs_per_recording[split]` of its split's systems: the split's recordings
   (in source_id order) deal the systems round-robin from a seeded order, so every system gets the
   same number of spoofs (+-1) and, when the split has at least as many slots as systems, each of
   them occurs. Training draws ~4,000 spoofs in all (train.*: steps x batch / 2), so one spoof of
   every seen system per recording (7,500 in train) would mostly go unused while costing most of
   the build.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from asnet.data.demo.sources import Source
from asnet.data.manifest import SPLITS


@dataclass(frozen=True)
class Job:
    """One bona fide recording, its split, and the spoof systems to derive from it."""

    source: Source
    split: str
    systems: tuple[str, ...]


def assign_languages(sources: list[Source], fractions: list[float], seed: int) -> dict[str, str]:
    """language -> split, by rule 2."""
    if len(fractions) != len(SPLITS) or min(fractions) <= 0:
        raise ValueError(f"split_fractions must be {len(SPLITS)} positive numbers, got {fractions}")
    sizes = Counter(s.language for s in sources)
    if len(sizes) < len(SPLITS):
        raise ValueError(f"need at least {len(SPLITS)} languages for disjoint splits, got {len(sizes)}")
    targets = np.asarray(fractions, dtype=float) / sum(fractions) * sum(sizes.values())
    filled, counts = np.zeros(len(SPLITS)), np.zeros(len(SPLITS), dtype=int)
    languages = sorted(sizes)
    assignment = {}
    for index in np.random.default_rng(seed).permutation(len(languages)):
        language = languages[index]
        empty = np.flatnonzero(counts == 0)
        chosen = int(empty[0]) if len(empty) else int(np.argmax(targets - filled))
        assignment[language] = SPLITS[chosen]
        filled[chosen] += sizes[language]
        counts[chosen] += 1
    return assignment


def make_jobs(sources: list[Source], systems: list[str], unseen: list[str],
              fractions: list[float], seed: int) -> list[Job]:
    """Every recording with its split and candidate systems (rules 1-3), sorted by source_id."""
    split_of = assign_languages(sources, fractions, seed)
    seen = tuple(s for s in systems if s not in unseen)
    return [
        Job(source, split_of[source.language], tuple(systems) if split_of[source.language] == "eval" else seen)
        for source in sorted(sources, key=lambda s: s.source_id)
    ]


def deal_systems(jobs: list[Job], per_recording: dict[str, int], seed: int) -> list[Job]:
    """Rule 5: each job keeps per_recording[its split] of its candidate systems, dealt round-robin."""
    rng = np.random.default_rng(seed)
    dealt = {}
    for split in SPLITS:
        pool = [job for job in jobs if job.split == split]
        if not pool:
            continue
        candidates = pool[0].systems
        order = [candidates[i] for i in rng.permutation(len(candidates))]
        k = min(per_recording[split], len(order))
        for position, job in enumerate(pool):
            chosen = {order[(position * k + j) % len(order)] for j in range(k)}
            dealt[job.source.source_id] = Job(job.source, split, tuple(s for s in candidates if s in chosen))
    return [dealt[job.source.source_id] for job in jobs]


def spoofs_of(job: Job, per_recording: dict[str, int]) -> int:
    return min(per_recording[job.split], len(job.systems))


def smoke_subset(jobs: list[Job], max_clips: int, fractions: list[float], seed: int,
                 per_recording: dict[str, int]) -> list[Job]:
    """Rule 4: per split, a seeded random subset within its share of max_clips."""
    rng = np.random.default_rng(seed)
    chosen = []
    for split, fraction in zip(SPLITS, np.asarray(fractions) / sum(fractions)):
        pool = [job for job in jobs if job.split == split]
        budget = int(fraction * max_clips)
        for index in rng.permutation(len(pool)):
            cost = 1 + spoofs_of(pool[index], per_recording)
            if cost <= budget:
                chosen.append(pool[index])
                budget -= cost
        if not any(job.split == split for job in chosen):
            raise ValueError(f"smoke_clips={max_clips} leaves no room for one recording of split {split}")
    return sorted(chosen, key=lambda job: job.source.source_id)
