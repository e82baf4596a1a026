"""The DAG is defined once: dvc.yaml is its render, Snakemake builds the same graph, and every
param is tracked by DVC (test_smoke checks, on recorded reads, that a stage tracking it reads it)."""
import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from asnet import pipeline

ROOT = Path(__file__).resolve().parents[2]
PARAMS = pipeline.load_params(ROOT / "params.yaml")
STAGES = pipeline.stages(PARAMS)


def snakemake(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from leaves(value, path + ".")
        else:
            yield path


def test_committed_dvc_yaml_is_the_registry_render():
    assert pipeline.main(["--check"]) == 0


def test_check_fails_on_a_stale_dvc_yaml(tmp_path):
    stale = tmp_path / "dvc.yaml"
    stale.write_text((ROOT / "dvc.yaml").read_text().replace("asnet prepare", "asnet  prepare"))
    assert pipeline.main(["--check", "--dvc-yaml", str(stale)]) == 1


LOCK = """schema: '2.0'
stages:
  kept:
    cmd: asnet kept
    deps:
    - path: asnet/cli.py
      md5: 0123
  removed@member:
    cmd: asnet removed --long
      --folded-line
    outs:
    - path: results/removed
  kept_too:
    cmd: asnet kept_too
"""


def test_render_drops_lock_entries_of_removed_stages(tmp_path):
    """DVC rewrites the whole dvc.lock after each stage and never drops an entry itself."""
    (tmp_path / "dvc.lock").write_text(LOCK)
    assert pipeline.stale_lock_entries(LOCK, {"kept", "kept_too"}) == ["removed@member"]
    before, after = yaml.safe_load(LOCK), yaml.safe_load(pipeline.prune_lock(LOCK, {"kept", "kept_too"}))
    del before["stages"]["removed@member"]
    assert after == before
    assert pipeline.main(["--check", "--dvc-yaml", str(tmp_path / "dvc.yaml")]) == 1  # no dvc.yaml either
    (tmp_path / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
    assert pipeline.main(["--check", "--dvc-yaml", str(tmp_path / "dvc.yaml")]) == 1  # the lock's entries are stale
    pipeline.main(["render", "--dvc-yaml", str(tmp_path / "dvc.yaml")])
    assert yaml.safe_load((tmp_path / "dvc.lock").read_text()) == {"schema": "2.0", "stages": None}
    assert pipeline.main(["--check", "--dvc-yaml", str(tmp_path / "dvc.yaml")]) == 0


def test_outputs_have_one_owner():
    pipeline.check_all_outputs_unique(STAGES)


def structural(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) or fnmatch.fnmatchcase(key, pattern + ".*")
               for pattern in pipeline.STRUCTURAL_PARAMS)


@pytest.mark.parametrize("key", sorted(leaves(PARAMS)))
def test_every_param_is_tracked(key):
    """Tracked by a stage, or structural (read by the registry: DVC sees it through the stages it
    renders). That the stages really read what they track is checked on recorded reads in the
    smoke run (test_smoke.test_every_param_is_read_by_a_stage_that_tracks_it), not by names."""
    assert structural(key) or any(key == p or key.startswith(p + ".") for s in STAGES for p in s.params), \
        f"no stage tracks {key}"


def test_code_deps_follow_imports():
    cache = next(s for s in STAGES if s.name == "cache_demo")
    assert "asnet/data/shards.py" in cache.code and "asnet/utils.py" in cache.code
    assert not any("pipeline.py" in f for f in cache.code)


def dvc_graph() -> set[tuple[frozenset, frozenset]]:
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        graph = repo.index.graph
        outs = {stage: frozenset(str(o.def_path) for o in stage.outs) for stage in graph.nodes}
        return {(outs[upstream], outs[stage]) for stage, upstream in graph.edges}


def snakemake_graph() -> set[tuple[frozenset, frozenset]]:
    outputs: dict[str, set[str]] = {}
    for line in snakemake("--detailed-summary").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) > 2 and fields[0] != "output_file":
            outputs.setdefault(fields[2], set()).add(fields[0])
    dot = snakemake("--dag")
    rules = dict(re.findall(r'^\s*(\d+)\[label = "([^"]+)"', dot, flags=re.M))
    edges = re.findall(r"^\s*(\d+) -> (\d+)", dot, flags=re.M)
    return {
        (frozenset(outputs[rules[a]]), frozenset(outputs[rules[b]]))
        for a, b in edges
        if rules[b] != "all"
    }


def test_dvc_and_snakemake_see_the_same_graph():
    # The one intended difference: DVC sees each stage's source files through its code digest,
    # Snakemake the files themselves (pipeline.code_digest_stage), so only DVC has digest edges.
    digests = frozenset(next(s for s in STAGES if s.name == "code_digests").outs)
    dvc_edges = dvc_graph()
    assert {a for a, _ in dvc_edges if a == digests}, "no stage depends on the code digests"
    assert snakemake_graph() == {(a, b) for a, b in dvc_edges if a != digests}


def test_a_code_digest_changes_exactly_when_its_stages_code_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for f in {f for s in STAGES for f in s.code}:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes((ROOT / f).read_bytes())
    before = pipeline.code_digests(STAGES)
    assert set(before) == set(next(s for s in STAGES if s.name == "code_digests").outs)
    (tmp_path / "asnet/features/pitch.py").write_text("# edited\n", "utf-8")
    after = pipeline.code_digests(STAGES)
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {s.code_digest for s in STAGES if "asnet/features/pitch.py" in s.code}
    assert 0 < len(changed) < len(before)


def test_dvc_sees_source_files_only_through_the_digests():
    rendered = rendered_stages(PARAMS)
    sources = {f for s in STAGES for f in s.code}
    for s in STAGES:
        deps = rendered[s.name]["deps"]
        if s.name == "code_digests":
            assert sources <= set(deps)
        else:
            assert deps[0] == s.code_digest and not sources & set(deps), s.name


def test_snakemake_lint_is_clean():
    assert "Congratulations, your workflow is in a good condition" in snakemake("--lint")


def test_slurm_profile_dry_runs_without_a_cluster():
    # --forceall: plan every job even in a workspace where `make demo` already built everything
    out = snakemake("-n", "--forceall", "--profile", "workflow/profiles/slurm")
    assert "This was a dry-run" in out


def rendered_stages(params: dict) -> dict[str, dict]:
    return {s.name: pipeline.dvc_stage(s) for s in pipeline.stages(params)}


def test_each_run_gets_train_score_evaluate_and_attack_stages():
    for run in pipeline.runs(PARAMS):
        names = {s.name for s in STAGES if f"-{run.id}-" in s.name}
        kinds = {"import"} if run.final == pipeline.PRETRAINED else {"train"}
        expected = {f"{kind}-{run.id}-{stage}" for kind in kinds for stage in run.stages}
        expected |= {f"{kind}-{run.id}-{stage}" for kind in ("score", "evaluate", "attack") for stage in run.evaluated
                     if kind != "attack" or run.attacked}
        expected |= {f"claim_attack-{run.id}-{stage}" for stage in run.evaluated
                     if pipeline.claim_attacked(run, stage, PARAMS)}
        assert names == expected, run.id


def test_the_claims_suite_attacks_the_checkpoints_the_claims_check_compares():
    report = PARAMS["report"]
    claimed = {s.name.split("-", 1)[1] for s in STAGES if s.name.startswith("claim_attack-")}
    expected = {f"{run.id}-{report['asnet']['stage'] if run.entry == report['asnet']['entry'] else run.final}"
                for run in pipeline.runs(PARAMS)
                if run.attacked and (run.entry == report["asnet"]["entry"] or run.entry in report["baselines"])}
    assert claimed == expected and claimed
    report_stage = next(s for s in STAGES if s.name == "report")
    assert {f"results/claim_attacks/{c.replace('-', '/', 1)}" for c in claimed} <= set(report_stage.deps)
    assert all("--suite claim" in s.cmd for s in STAGES if s.name.startswith("claim_attack-"))


def test_changing_one_seed_changes_only_that_runs_stages():
    import copy

    before = rendered_stages(PARAMS)
    edited = copy.deepcopy(PARAMS)
    entry = next(name for name, spec in edited["runs"].items() if len(spec["seeds"]) > 1)
    old_seed = edited["runs"][entry]["seeds"][-1]
    edited["runs"][entry]["seeds"][-1] = new_seed = max(edited["runs"][entry]["seeds"]) + 10
    after = rendered_stages(edited)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    old_run, new_run = f"-{entry}_s{old_seed}-", f"-{entry}_s{new_seed}-"
    assert changed - {"report"} == {n for n in before.keys() | after.keys() if old_run in n or new_run in n}


def test_attack_params_reach_only_attack_stages():
    trackers = {s.name for s in STAGES if any(p == "attack" or p.startswith("attack.") for p in s.params)}
    assert all(name.startswith(("attack-", "claim_attack-")) for name in trackers)
