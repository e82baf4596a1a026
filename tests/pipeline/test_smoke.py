"""End-to-end: the whole DAG on the smoke corpus, through DVC and through Snakemake (`make smoke`).

Runs in scratch copies under .smoke/ (kept for inspection): `.smoke/dvc` and `.smoke/slurm` (the
Snakemake run goes through the SLURM profile on a fake cluster: conftest.py), each a copy of the
working tree with params.yaml overlaid by tests/pipeline/smoke.yaml.
"""
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from asnet import pipeline

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / ".smoke"
OVERLAY = Path(__file__).with_name("smoke.yaml")
# One-key changes, each rerunning exactly the stages that read the key and what consumes their
# outputs: the score units (scores and metrics) only, then the adversarial training stages and everything after them.
ONE_KEY_CHANGES = [("eval.bootstrap_resamples", 100), ("train.adv.eps", 0.003)]  # test_dvc_remote then tries 0.004
PARAMS_READS = "params_reads.tsv"  # <command>\t<key> per params key a stage read (asnet.params_log)
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "ASNET_NO_PROGRESS": "1",
       "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


# Overlay sections that replace the base section instead of merging into it: the smoke DAG keeps
# a few runs and shift sets, not all of them.
REPLACED = {"runs", "shift.codecs", "shift.vocoders"}


def deep_merge(base: dict, overlay: dict, prefix: str = "") -> dict:
    merged = dict(base)
    for key, value in overlay.items():
        path = f"{prefix}{key}"
        nested = isinstance(value, dict) and key in base and path not in REPLACED  # a new section is taken whole
        merged[key] = deep_merge(base[key], value, path + ".") if nested else value
    return merged


def run(cmd: list[str], cwd: Path, timeout: int = 1500, env: dict = ENV) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(cmd)} failed in {cwd}:\n{output[-6000:]}"
    return output


def scratch_copy(dest: Path, overlay: dict | None = None) -> dict:
    """Copy the working tree (tracked + untracked, not ignored), overlay the smoke params (or
    `overlay`), re-render."""
    shutil.rmtree(dest, ignore_errors=True)
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    # The demo's dvc.lock (217 stages) is not the smoke DAG's, and DVC rewrites the whole lock
    # after every stage: starting from it cost each smoke stage ~13 s (54 stages: 1,225 s, 494 s without).
    for rel in filter(lambda rel: rel and rel != "dvc.lock", listed):
        source, target = ROOT / rel, dest / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    overlay = yaml.safe_load(OVERLAY.read_text()) if overlay is None else overlay
    params = deep_merge(pipeline.load_params(ROOT / "params.yaml"), overlay)
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    pipeline.main(["render", "--params", str(dest / "params.yaml"), "--dvc-yaml", str(dest / "dvc.yaml")])
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=smoke", "-c", "user.email=smoke@localhost", "commit", "-qm", "smoke"]):
        run(cmd, dest)
    return params


IGNORED_FILES = {".gitignore", ".snakemake_timestamp"}  # bookkeeping of DVC and Snakemake
# What may differ between two runs of the same DAG: how long things took, and the commit of the
# workspace (each scratch copy is its own git repository). Everything else must be byte-identical.
TIMING_KEYS = {"wall_s"}
VARYING_LINES = re.compile(r"^\| (source commit|runtime)", re.M)


def comparable_bytes(f: Path) -> bytes:
    if f.suffix == ".json":
        def strip(value):
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if k not in TIMING_KEYS}
            return [strip(v) for v in value] if isinstance(value, list) else value
        return json.dumps(strip(json.loads(f.read_text())), sort_keys=True).encode()
    if f.suffix == ".md":
        return "\n".join(l for l in f.read_text().splitlines() if not VARYING_LINES.match(l)).encode()
    return f.read_bytes()


def tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name not in IGNORED_FILES) if path.is_dir() else [path]
    for f in files:
        digest.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        digest.update(comparable_bytes(f))
    return digest.hexdigest()


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def test_dvc_repro_runs_every_stage(dvc_run):
    dest, params, output = dvc_run
    stages = pipeline.stages(params)
    assert ran_stages(output) == {s.name for s in stages}
    for stage in stages:
        for out in stage.all_outputs:
            assert (dest / out).exists(), f"{stage.name} did not write {out}"


def arguments(cmd: str) -> list[tuple[str, ...]]:
    """The arguments after the program (`asnet` or `python -m <module>`) of each command of a
    stage (a score unit runs `asnet score` && `asnet evaluate`), as asnet.params_log records them."""
    commands = [shlex.split(part) for part in cmd.split(" && ")]
    return [tuple(argv[3:] if argv[1:2] == ["-m"] else argv[1:]) for argv in commands]


def test_every_param_is_read_by_a_stage_that_tracks_it(dvc_run):
    """Real reads, not names: every value of the smoke params was read, while the DAG ran, by a
    stage whose params list tracks it (so DVC reruns that stage when it changes), or is structural
    and read by the registry itself (recorded here while it builds the stages)."""
    from collections import defaultdict

    from asnet.params_log import record
    from test_registry import leaves, structural

    dest, params, _ = dvc_run
    registry_reads: set[str] = set()
    stages = pipeline.stages(record(params, registry_reads))
    by_arguments = {command: s for s in stages for command in arguments(s.cmd)}
    read_by = defaultdict(set)  # key -> stages that read it
    for line in (dest / PARAMS_READS).read_text().splitlines():
        command, key = line.split("\t")
        stage = by_arguments.get(tuple(command.split()))
        assert stage is not None, f"a process that is no stage read params: {command}"
        if stage.digest:  # code_digests reads every value, to write each stage's into its digest
            read_by[key].add(stage)
    unread = []
    for key in leaves(params):
        if structural(key):
            if key not in registry_reads:
                unread.append(f"{key} (structural, but the registry never read it)")
            continue
        tracking = [s.name for s in read_by[key] if any(key == p or key.startswith(p + ".") for p in s.params)]
        if not tracking:
            readers = sorted(s.name for s in read_by[key])
            unread.append(f"{key} (read by {readers[:3] or 'no stage'}{', none tracks it' if readers else ''})")
    assert not unread, "params no stage that tracks them reads:\n" + "\n".join(unread)


def test_snakemake_produces_the_same_outputs(dvc_run, snakemake_run):
    dest, params, _ = dvc_run
    for stage in pipeline.stages(params):
        for out in stage.all_outputs:
            assert tree_digest(snakemake_run / out) == tree_digest(dest / out), f"{out} differs"


def test_second_repro_reruns_nothing(dvc_run, snakemake_run):
    dest, _, _ = dvc_run
    started = time.time()
    output = run(["dvc", "repro"], dest)
    assert ran_stages(output) == set(), output
    print(f"no-op dvc repro: {time.time() - started:.2f} s")


def test_verify_passes_on_its_own_record_and_fails_beyond_tolerance(dvc_run, tmp_path):
    """`asnet verify` as a user runs it after `make demo`, on the smoke DAG: a reference recorded
    from the run, then checked against the same run. The scratch copy's git commit predates its
    dvc.lock (written by the repro), so the recorded lock is given as a file."""
    dest, _, _ = dvc_run
    reference, recorded_lock = tmp_path / "reference.json", tmp_path / "dvc.lock"
    shutil.copy(dest / "dvc.lock", recorded_lock)
    verify = [sys.executable, "-m", "asnet", "verify"]
    check = verify + ["--reference", str(reference), "--recorded-lock", str(recorded_lock)]
    run(verify + ["--record", str(reference)], dest)
    output = run(check, dest)
    assert output.splitlines()[-1].startswith("reproduces: data byte-identical")
    recorded = json.loads(reference.read_text())
    groups = len(recorded["clips"])  # one per (split, system) of the smoke corpus
    assert groups >= 3 and f"{groups} of {groups} split/system groups identical" in output
    moved = recorded["checkpoints"]["asnet_s0/adv"]["eval.eer_pct"]
    moved["value"] += 1.01 * moved["tolerance"]
    reference.write_text(json.dumps(recorded))
    done = subprocess.run(check, cwd=dest, env=ENV, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == \
        f"does not reproduce: 1 of {sum(map(len, recorded['checkpoints'].values()))} metrics beyond tolerance " \
        "(asnet_s0/adv eval.eer_pct)"


def downstream_of(stages: list, changed: set[str]) -> set[str]:
    """Names of the changed stages and every stage that consumes their outputs, transitively (a dep
    on a folder holding outputs, like the report's results/metrics/<run>, consumes them all)."""
    producers = {o: s.name for s in stages for o in s.all_outputs}

    def consumed(dep: str) -> set[str]:
        return {name for out, name in producers.items() if out == dep or out.startswith(dep + "/")}

    result = set(changed)
    grew = True
    while grew:
        grew = False
        for s in stages:
            if s.name not in result and any(consumed(d) & result for d in s.deps):
                result.add(s.name)
                grew = True
    return result


@pytest.mark.parametrize("key, value", ONE_KEY_CHANGES)
def test_changing_one_param_reruns_only_its_stages(dvc_run, snakemake_run, key, value):
    dest, params, _ = dvc_run
    section, name = key.rsplit(".", 1)
    edited = yaml.safe_load((dest / "params.yaml").read_text())
    pipeline.param_value(edited, section)[name] = value
    (dest / "params.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
    stages = pipeline.stages(edited)
    trackers = {s.name for s in stages if any(key == p or key.startswith(p + ".") for p in s.params)}
    expected = downstream_of(stages, trackers)
    assert trackers and expected != {s.name for s in stages}, "pick a param that leaves some stages alone"
    started = time.time()
    assert ran_stages(run(["dvc", "repro"], dest)) == expected
    print(f"{key}: reran {len(expected)} of {len(stages)} stages in {time.time() - started:.1f} s")
