from collections import Counter

import pytest

from asnet.data.demo import splits
from asnet.data.demo.sources import Source
from asnet.data.demo.systems import SYSTEMS

UNSEEN = ["festival_hts_slt", "kokoro_ja", "lpc", "world_vc"]  # params.yaml prepare_demo.unseen_systems
SIZES = {"fr": 200, "ca": 190, "en": 86, "de": 72, "es": 12, "it": 13, "sv": 14}  # like the real corpus


def corpus() -> list[Source]:
    return [Source(f"kt-{lang}-{i}", f"/x/{lang}/{i}.ogg", f"kt-{lang}" if i % 2 else f"ps-{lang}", lang, "w")
            for lang, n in SIZES.items() for i in range(n)]


def test_languages_and_speakers_never_straddle_splits():
    jobs = splits.make_jobs(corpus(), list(SYSTEMS), UNSEEN, [0.6, 0.2, 0.2], seed=3)
    for key in ("language", "speaker"):
        split_of = {}
        for job in jobs:
            assert split_of.setdefault(getattr(job.source, key), job.split) == job.split
    assert {job.split for job in jobs} == {"train", "dev", "eval"}


def test_unseen_systems_only_in_eval_and_seen_everywhere():
    jobs = splits.make_jobs(corpus(), list(SYSTEMS), UNSEEN, [0.6, 0.2, 0.2], seed=0)
    for job in jobs:
        assert set(job.systems) == (set(SYSTEMS) if job.split == "eval" else set(SYSTEMS) - set(UNSEEN))


def test_assignment_follows_the_fractions_and_the_seed():
    sources = corpus()
    assignment = splits.assign_languages(sources, [0.6, 0.2, 0.2], seed=0)
    assert assignment == splits.assign_languages(sources, [0.6, 0.2, 0.2], seed=0)
    share = Counter(assignment[s.language] for s in sources)
    assert share["train"] > share["dev"] and share["train"] > share["eval"]
    assert any(splits.assign_languages(sources, [0.6, 0.2, 0.2], seed=s) != assignment for s in range(1, 6))


def test_too_few_languages_or_bad_fractions_are_refused():
    with pytest.raises(ValueError, match="at least 3 languages"):
        splits.assign_languages([s for s in corpus() if s.language in ("fr", "en")], [0.6, 0.2, 0.2], 0)
    with pytest.raises(ValueError, match="split_fractions"):
        splits.assign_languages(corpus(), [0.5, 0.5], 0)


PER_RECORDING = {"train": 2, "dev": 2, "eval": 6}  # params.yaml prepare_demo.spoofs_per_recording


def test_smoke_subset_respects_budget_and_keeps_every_system_and_split():
    jobs = splits.make_jobs(corpus(), list(SYSTEMS), UNSEEN, [0.6, 0.2, 0.2], seed=0)
    smoke = splits.deal_systems(splits.smoke_subset(jobs, 200, [0.6, 0.2, 0.2], 0, PER_RECORDING), PER_RECORDING, 0)
    assert sum(1 + len(job.systems) for job in smoke) <= 200
    assert {job.split for job in smoke} == {"train", "dev", "eval"}
    assert {s for job in smoke for s in job.systems} == set(SYSTEMS)
    assert smoke == splits.deal_systems(splits.smoke_subset(jobs, 200, [0.6, 0.2, 0.2], 0, PER_RECORDING),
                                        PER_RECORDING, 0)
    with pytest.raises(ValueError, match="no room"):
        splits.smoke_subset(jobs, 20, [0.6, 0.2, 0.2], 0, PER_RECORDING)


def test_dealt_systems_are_balanced_per_split_and_never_unseen_outside_eval():
    jobs = splits.deal_systems(splits.make_jobs(corpus(), list(SYSTEMS), UNSEEN, [0.6, 0.2, 0.2], seed=0),
                               PER_RECORDING, seed=0)
    for split, k in PER_RECORDING.items():
        mine = [job for job in jobs if job.split == split]
        assert all(len(job.systems) == k == len(set(job.systems)) for job in mine)
        made = Counter(s for job in mine for s in job.systems)
        assert set(made) == (set(SYSTEMS) if split == "eval" else set(SYSTEMS) - set(UNSEEN))
        assert max(made.values()) - min(made.values()) <= 1  # round-robin: equal shares
