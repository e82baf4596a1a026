"""Result files: one per (attack, budget) plus the summary, atomic; an interrupted run leaves only
complete files and a rerun reuses them and ends exactly where an uninterrupted run does."""
import json

import pytest

from asnet.attacks.runner import SUMMARY, Runner

from attacks_toys import attack_config, run_suite

GRID_FILES = {"pgd_linf-eps0.001", "pgd_linf-eps0.004", "pgd_linf-eps0.016", "noise_linf-eps0.001",
              "noise_linf-eps0.004", "noise_linf-eps0.016", "pgd_linf_unbounded-eps1", "pgd_linf_more_steps-eps0.004",
              "pgd_linf_more_restarts-eps0.004"}


def stems(out):
    return {p.stem for p in out.glob("*.json")} - {"summary"}


def written_summary(out):
    """summary.json as written, without wall times (the only thing a rerun may change)."""
    return json.loads((out / SUMMARY).read_text(), object_hook=lambda d: {k: v for k, v in d.items() if k != "wall_s"})


def test_one_file_per_result_and_a_summary_of_them_all(full_run):
    _, summary, out = full_run
    assert stems(out) == {r["name"] for r in summary["results"]}
    assert len(summary["results"]) == 10 * 3 - 2 * 3 + 2 * 2 + 3  # 10 grid attacks, 2 of them on 2 SNRs, 3 sanity runs
    result = json.loads((out / "cw_l2-snr35.json").read_text())
    assert result["budget"] == {"kind": "snr_db", "value": 35.0} and result["wall_shared_by_budgets"]
    assert len(result["per_clip"]) == 8 and set(result["clean"]) == {"accuracy", "abstain_rate", "ood_rate", "ece",
                                                                      "eer", "auc"}
    saved = json.loads((out / SUMMARY).read_text())
    assert saved["passed"] and [r["name"] for r in saved["results"]] == [r["name"] for r in summary["results"]]
    assert [row["eps"] for row in saved["bpda_vs_naive"]] == [0.001, 0.004, 0.016]


class Interrupted(Exception):
    pass


def interrupting(after: int, calls: list):
    class InterruptingRunner(Runner):
        def attack(self, job):
            calls.append(job.attack)
            if len(calls) > after:
                raise Interrupted
            return super().attack(job)
    return InterruptingRunner


def test_an_interrupted_run_leaves_complete_files_and_a_rerun_is_clean(tmp_path):
    out = tmp_path / "out"
    run_suite(out, "grid")  # a complete earlier run with other settings: its summary must not survive
    config = attack_config(seed=1)  # changes every job's fingerprint
    with pytest.raises(Interrupted):
        run_suite(out, "grid", config=config, runner=interrupting(2, []))
    assert not (out / SUMMARY).exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    for path in out.glob("*.json"):
        json.loads(path.read_text())  # every file is whole

    calls = []
    run_suite(out, "grid", config=config, runner=interrupting(99, calls))
    assert calls == ["pgd_linf_unbounded", "pgd_linf_more_steps", "pgd_linf_more_restarts"]  # the rest reused
    run_suite(tmp_path / "fresh", "grid", config=config)
    assert written_summary(out) == written_summary(tmp_path / "fresh")
    assert stems(out) == GRID_FILES


def test_changed_settings_are_recomputed_not_reused(tmp_path):
    run_suite(tmp_path, "grid")
    calls = []
    run_suite(tmp_path, "grid", config=attack_config(seed=1), runner=interrupting(99, calls))
    assert len(calls) == 5
