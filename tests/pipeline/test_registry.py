"""The DAG is defined once: dvc.yaml is its render (families DVC expands to exactly the
registry's stages), Snakemake builds the same graph from wildcard rules, every param is tracked
by DVC (test_smoke checks, on recorded reads, that a stage tracking it reads it), and a new test
set adds only its own units."""
import copy
import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from asnet import pipeline
from asnet.pipeline.snakemake import Rules

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


def structural(key: str) -> str | None:
    """The STRUCTURAL_PARAMS pattern `key` falls under (runs.*.set for runs.lcnn.set.train.base.lr)."""
    return next((pattern for pattern in pipeline.STRUCTURAL_PARAMS
                 if fnmatch.fnmatchcase(key, pattern) or fnmatch.fnmatchcase(key, pattern + ".*")), None)


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
    assert not any(f.startswith("asnet/pipeline/") for f in cache.code)


def test_importing_the_registry_imports_nothing_heavy():
    code = "import sys, asnet.pipeline; print(sorted({'torch', 'dvc', 'snakemake', 'numpy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def dvc_index():
    """Every stage DVC expands dvc.yaml to: name -> (cmd, deps, params keys, outputs), and its graph."""
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        index = repo.index
        stages = {}
        for stage in index.stages:
            params = [d for d in stage.deps if type(d).__name__ == "ParamsDependency"]
            keys = sorted(k for d in params for k in d.params or [f"{d.def_path} (all)"])
            deps = [str(d.def_path) for d in stage.deps if type(d).__name__ != "ParamsDependency"]
            stages[stage.name] = (stage.cmd, deps, keys, sorted(str(o.def_path) for o in stage.outs))
        outs = {stage: frozenset(str(o.def_path) for o in stage.outs) for stage in index.graph.nodes}
        edges = {(outs[upstream], outs[stage]) for stage, upstream in index.graph.edges}
    return stages, edges


def test_dvc_expands_the_families_to_exactly_the_registry(dvc_index):
    expanded, _ = dvc_index
    assert set(expanded) == {s.name for s in STAGES}
    for s in STAGES:
        # one stage tracks params.yaml; the others track their keys through their digests
        params = [] if s.digest else ["params.yaml (all)"]
        assert expanded[s.name] == (s.cmd, list(s.dvc_deps), params, sorted(s.all_outputs)), s.name


def snakemake_graph() -> set[tuple[frozenset, frozenset]]:
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("snakemake_dag.py"))], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return {(frozenset(upstream), frozenset(outputs))
            for outputs, upstreams in json.loads(done.stdout) if outputs for upstream in upstreams}


def test_dvc_and_snakemake_see_the_same_graph(dvc_index):
    # The one intended difference: DVC sees each stage's source files through its code digest,
    # Snakemake the files themselves (registry.code_digest_stage), so only DVC has digest edges.
    digests = frozenset(next(s for s in STAGES if s.name == "code_digests").outs)
    _, dvc_edges = dvc_index
    assert {a for a, _ in dvc_edges if a == digests}, "no stage depends on the code digests"
    assert snakemake_graph() == {(a, b) for a, b in dvc_edges if a != digests}


def test_snakemake_has_one_rule_per_kind_of_stage():
    rules = Rules(PARAMS)
    assert len(rules.by_rule) <= 15
    for rule in rules.by_rule:  # every stage of a rule follows its output patterns (else this raises)
        rules.outputs(rule)
    # a checkpoint's eval split (whose unit also writes dev.json) and its other test sets
    assert {r for r in rules.by_rule if r.startswith(("score", "evaluate"))} == {"score", "score_set"}


def test_a_code_digest_changes_exactly_when_its_stages_code_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for f in {f for s in STAGES for f in s.code}:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes((ROOT / f).read_bytes())
    before = pipeline.code_digests(STAGES, PARAMS)
    assert set(before) == {s.digest for s in STAGES if s.digest}
    assert all(d.startswith(pipeline.CODE_DIGESTS + "/") for d in before)
    (tmp_path / "asnet/features/pitch.py").write_text("# edited\n", "utf-8")
    after = pipeline.code_digests(STAGES, PARAMS)
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {s.digest for s in STAGES if "asnet/features/pitch.py" in s.code}
    assert 0 < len(changed) < len(before)


def test_a_params_value_changes_exactly_the_digests_of_the_stages_that_read_it(monkeypatch):
    """DVC tracks a stage's params keys through its digest: one value edited changes the digest
    of each stage that reads the key and of no other."""
    monkeypatch.chdir(ROOT)
    edited = copy.deepcopy(PARAMS)
    edited["train"]["adv"]["eps"] *= 2
    before, after = pipeline.code_digests(STAGES, PARAMS), pipeline.code_digests(pipeline.stages(edited), edited)
    changed = {path for path in before if before[path] != after[path]}
    readers = {s.digest for s in STAGES if s.digest and any(p == "train.adv.eps" or "train.adv.eps".startswith(p + ".")
                                                           for p in s.params)}
    assert changed == readers and readers and all(d.startswith("data/code/train_adv") for d in readers)


def test_an_override_changes_only_its_runs_digests():
    edited = copy.deepcopy(PARAMS)
    edited["runs"]["cmra_off"]["set"]["model.cmra.variant"] = "l2"
    before = {s.digest: s.spec for s in STAGES if s.digest}
    after = {s.digest: s.spec for s in pipeline.stages(edited) if s.digest}
    changed = {d for d in before if before[d] != after[d]}
    assert changed and all("/cmra_off_s" in d for d in changed)


def test_dvc_sees_source_files_only_through_the_digests():
    rendered = rendered_stages(PARAMS)
    sources = {f for s in STAGES for f in s.code}
    for s in STAGES:
        deps = rendered[s.name]["deps"]
        if s.name == "code_digests":
            assert all(f.startswith(f"{deps[0]}/") for f in sources)
        else:
            assert deps[0] == s.digest and not sources & set(deps), s.name


def test_snakemake_lint_is_clean():
    assert "Congratulations, your workflow is in a good condition" in snakemake("--lint")


def test_slurm_profile_dry_runs_without_a_cluster():
    # --forceall: plan every job even in a workspace where `make demo` already built everything
    out = snakemake("-n", "--forceall", "--profile", "workflow/profiles/slurm")
    assert "This was a dry-run" in out


def rendered_stages(params: dict) -> dict[str, dict]:
    return {s.name: pipeline.dvc_stage(s) for s in pipeline.stages(params)}


def run_of(stage) -> str | None:
    return dict(stage.wildcards).get("run")


def test_each_run_gets_train_and_per_test_set_score_evaluate_and_attack_stages():
    for run in pipeline.runs(PARAMS):
        units = {(s.rule_name, *(v for k, v in s.wildcards if k != "run")) for s in STAGES if run_of(s) == run.id}
        kind = "import" if run.final == pipeline.PRETRAINED else "fit" if run.architecture == "trivial" else "train"
        expected = {(kind, stage) for stage in run.stages}
        for stage in run.evaluated:
            sets = list(pipeline.test_sets(run, PARAMS, stage))
            if run.test_sets is None:  # the curriculum's middle stages: eval only
                assert ("codec_gsm" in sets) == run.shift_tested(stage)
            expected |= {("score", stage)} | {("score_set", stage, name) for name in sets if name != "eval"}
            expected |= {("attack", stage)} if run.attacked else set()
            expected |= {("claim_attack", stage)} if pipeline.claim_attacked(run, stage, PARAMS) else set()
        assert units == expected, run.id


def changed_entries(before: dict, after: dict) -> set[str]:
    return {name for name in before.keys() & after.keys() if before[name] != after[name]}


def test_the_claims_suite_attacks_the_checkpoints_the_claims_check_compares():
    report = PARAMS["report"]
    claimed = {dict(s.wildcards)["run"] + "/" + dict(s.wildcards)["stage"] for s in STAGES if s.rule_name == "claim_attack"}
    expected = {f"{run.id}/{report['asnet']['stage'] if run.entry == report['asnet']['entry'] else run.final}"
                for run in pipeline.runs(PARAMS)
                if run.attacked and (run.entry == report["asnet"]["entry"] or run.entry in report["baselines"])}
    assert claimed == expected and claimed
    deps = {s.name: set(s.deps) for s in STAGES if s.name in ("report", "demo_report")}
    assert "results/claim_attacks" in deps["report"]  # the whole grid reads the folder
    demo = {run.id for run in pipeline.demo_runs(PARAMS)}
    assert {f"results/claim_attacks/{c.split('/')[0]}" for c in claimed if c.split("/")[0] in demo} <= deps["demo_report"]
    assert all("--suite claim" in s.cmd for s in STAGES if s.rule_name == "claim_attack")


def test_changing_one_seed_changes_only_that_runs_stages():
    before = rendered_stages(PARAMS)
    edited = copy.deepcopy(PARAMS)
    entry = next(name for name, spec in edited["runs"].items() if len(spec["seeds"]) > 1 and name in edited["report"]["demo"])
    old_seed = edited["runs"][entry]["seeds"][-1]
    edited["runs"][entry]["seeds"][-1] = new_seed = max(edited["runs"][entry]["seeds"]) + 10
    after = rendered_stages(edited)
    old_run, new_run = f"{entry}_s{old_seed}", f"{entry}_s{new_seed}"
    touched = {s.name for s in STAGES if run_of(s) == old_run} | {s.name for s in pipeline.stages(edited) if run_of(s) == new_run}
    assert (before.keys() ^ after.keys()) | changed_entries(before, after) == touched | {"demo_report"}


def test_a_new_codec_adds_its_own_units_and_changes_no_other_stage():
    """A codec in params is a shift set, a score unit (scores and metrics) per checkpoint tested on
    the shift sets, and new inputs of the reports; no other stage's entry changes (nothing else reruns)."""
    edited = copy.deepcopy(PARAMS)
    edited["shift"]["codecs"]["mp3_8k"] = {"library": "pyav", "codec": "mp3", "container": "mp3",
                                           "sample_rate": 8000, "bitrate": 8000}
    before, after = rendered_stages(PARAMS), rendered_stages(edited)
    assert not before.keys() - after.keys() and not changed_entries(before, after)
    tested = [f"{run.id}/{stage}" for run in pipeline.runs(PARAMS) for stage in run.evaluated
              if "codec_mp3_16k" in pipeline.test_sets(run, PARAMS, stage)]
    assert tested
    assert after.keys() - before.keys() == {"shift_codec@mp3_8k", *(f"score_shift@{c}-codec_mp3_8k" for c in tested)}
    new_outputs = {o for s in pipeline.stages(edited) if s.name not in before for o in s.all_outputs}
    rules = Rules(edited)
    for report in ("report", "demo_report"):
        stage = next(s for s in pipeline.stages(edited) if s.name == report)
        inputs = set(rules.data_inputs(stage))
        assert {o for o in new_outputs if o.startswith("results/")} & inputs, report


def test_stages_track_what_they_read_not_whole_sections():
    """dvc.lock records the values a stage reads, not whole sections: a key is a leaf, or a
    sub-section whose every leaf the stage reads (`train.adv` for the adv stage, never `train`).
    Whole entries only where code reads an entry whole: a codec or pool spec, the report's runs."""
    whole = {"runs", "corpora", "shift.codecs", "shift.vocoders"}
    for s in STAGES:
        if not s.digest:
            continue  # code_digests reads every section: it writes each stage's values into its digest
        for key in s.params:
            value = pipeline.param_value(PARAMS, key)
            assert "." in key or key in whole or not isinstance(value, dict), f"{s.name} tracks the section {key}"
    by_name = {s.name: s for s in STAGES}
    adv, base = by_name["train_adv@asnet_s0"], by_name["train_base@asnet_s0"]
    assert "train.adv" in adv.params and not any(k.startswith("train.adv") for k in base.params)
    # execution knobs are CLI flags or environment variables, never params (nothing reruns for them)
    assert "processes" not in PARAMS["train"]["common"] and "seed" not in PARAMS["base"]
    knobs = {"workers", "cpu_chunk", "pad_fraction", "batch_size"}
    read = [*pipeline.leaf_keys(PARAMS, "eval"), *pipeline.leaf_keys(PARAMS, "model.features"),
            *pipeline.leaf_keys(PARAMS, "prepare_demo")]
    assert not knobs & {key.rsplit(".", 1)[-1] for key in read}


def test_a_sub_section_stands_for_its_leaves_only_when_all_are_read():
    assert pipeline.read_keys(PARAMS, "train.adv") == ("train.adv",)
    partial = pipeline.read_keys(PARAMS, "train.adv", dropped=("train.adv.eps",))
    assert "train.adv" not in partial and "train.adv.eps" not in partial and "train.adv.steps" in partial
    assert pipeline.read_keys(PARAMS, "attack")[0] != "attack"  # never a whole top-level section


def test_attack_params_reach_only_attack_stages():
    trackers = {s.name for s in STAGES if s.digest and any(p == "attack" or p.startswith("attack.") for p in s.params)}
    assert trackers and all(name.startswith(("attack", "claim_attack")) for name in trackers)


def test_the_demo_report_reads_the_demo_runs_only():
    demo = {run.id for run in pipeline.demo_runs(PARAMS)}
    stage = next(s for s in STAGES if s.name == "demo_report")
    read = {Path(d).parts[2] for d in stage.deps if d.startswith("results/")}
    assert read == demo and demo < {run.id for run in pipeline.runs(PARAMS)}
    assert not any(run.entry.startswith("cmra_") for run in pipeline.demo_runs(PARAMS)), "the demo has no ablation grid"


def test_the_demo_names_entries_or_single_runs():
    params = copy.deepcopy(PARAMS)
    params["report"]["demo"] = ["asnet", "lcnn_s1", "no_such_entry"]
    assert [run.id for run in pipeline.demo_runs(params)] == ["asnet_s0", "asnet_s1", "asnet_s2", "lcnn_s1"]
    stage = next(s for s in pipeline.stages(params) if s.name == "demo_report")
    assert "--entries asnet lcnn_s1 " in stage.cmd
