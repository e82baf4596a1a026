"""Cluster runs, executed: the smoke DAG through the real snakemake-executor-plugin-slurm on a fake
SLURM (tests/pipeline/slurm_shim: recording sbatch/sacct/squeue/scancel/srun/sinfo/sacctmgr/scontrol
that run each job on this machine), then `dvc commit` records the outputs (ARCHITECTURE §8).

Checked against the registry, whatever stages it returns: one sbatch per stage, asking for the
stage's threads, mem_mb, runtime_min and (GPU stages only) its GPUs, with the account and partition
from ASNET_SLURM_ACCOUNT / ASNET_SLURM_PARTITION, each run as an srun step inside its job.

Cost: one smoke DAG run through Snakemake, plus about 4 s of CPU per job for the two Snakemake
processes the plugin starts inside every job (the job itself and its srun step), plus ~30 s for
the failure-path test on a three-rule workflow.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asnet import pipeline
from slurm_shim.fake_slurm import FINAL_STATES, SBATCH_FLAGS, SBATCH_VALUES, SRUN_FLAGS, SRUN_VALUES, parse_options
from test_smoke import ENV, run, scratch_copy

pytestmark = pytest.mark.e2e
SHIM = Path(__file__).with_name("slurm_shim")
ACCOUNT, PARTITION = "asnet-ci", "gpu-and-cpu"
# The fake cluster: jobs without -p land in "small", which has no GPUs, so a GPU job that lost its
# partition is refused as a real controller would refuse it.
CLUSTER = {"accounts": ["other-project", ACCOUNT], "default_partition": "small",
           "partitions": {"small": {"gpus_per_node": 0}, PARTITION: {"gpus_per_node": 4}}}
# Test-only overrides of the profile's polling: a first status check after 1 s instead of 40 s and
# no 2 s pause between queries. The plugin adds 10 s to the interval after every round in which no
# job ended, so the shim's sbatch runs each job before it returns ("sync"): every query finds the
# submitted jobs ended and the interval stays at 1 s.
FAST_POLLING = ["--slurm-init-seconds-before-status-checks", "1", "--max-status-checks-per-second", "10"]


def fake_cluster(state: Path, **settings) -> dict:
    """The environment of a login node of the fake cluster whose state lives in `state`."""
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    (state / "cluster.json").write_text(json.dumps(CLUSTER | settings))
    return {**ENV, "PATH": f"{SHIM / 'bin'}{os.pathsep}{ENV['PATH']}", "FAKE_SLURM_DIR": str(state),
            "ASNET_SLURM_ACCOUNT": ACCOUNT, "ASNET_SLURM_PARTITION": PARTITION}


def calls(state: Path, command: str) -> list[dict]:
    records = [json.loads(line) for line in (state / "calls.jsonl").read_text().splitlines()]
    return [r for r in records if r["command"] == command]


def snakemake_on_cluster(workdir: Path, env: dict, *args: str, timeout: int = 3000) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "--profile", str(workdir / "workflow/profiles/slurm"), *FAST_POLLING, *args]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)


def cancel_leftover_jobs(state: Path, env: dict) -> None:
    """A killed Snakemake cancels nothing: its jobs would run on (each in a session of its own)."""
    running = [p.stem for p in (state / "jobs").glob("*.json") if json.loads(p.read_text())["state"] not in FINAL_STATES]
    if running:
        subprocess.run([SHIM / "bin/scancel", *running], env=env, capture_output=True)


def job_id(stage) -> str:
    """What the plugin writes in --comment for the job of `stage`: rule_<rule>[_wildcards_<values>]
    (snakemake_executor_plugin_slurm.utils.get_job_wildcards joins the values with _, / as _)."""
    values = "_".join(value for _, value in stage.wildcards).replace("/", "_")
    return f"rule_{stage.rule_name}" + (f"_wildcards_{values}" if values else "")


def job_log_dir(stage) -> Path:
    """Where the plugin puts the job's log, under slurm-logdir: rule_<rule>/<wildcard values>."""
    return Path(f"rule_{stage.rule_name}", "_".join(v for _, v in stage.wildcards).replace("/", "_"))


def sbatch_requests(state: Path) -> dict[str, dict]:
    """Job (its --comment, job_id) -> the options of its (only) sbatch call."""
    requests: dict[str, dict] = {}
    for call in calls(state, "sbatch"):
        options, _ = parse_options(call["argv"], SBATCH_VALUES, SBATCH_FLAGS, "sbatch")
        job = options["--comment"]
        assert job not in requests, f"{job} was submitted twice"
        requests[job] = options
    return requests


def run_on_fake_cluster(dest: Path) -> tuple[Path, dict, Path]:
    """The smoke DAG in a scratch copy at `dest`, through the SLURM profile on a fresh fake cluster
    -> (workspace, params, the cluster's state folder)."""
    params = scratch_copy(dest)
    state = dest.with_name(dest.name + "-cluster")
    env = fake_cluster(state)
    started = time.time()
    try:
        done = snakemake_on_cluster(dest, env)
    finally:
        cancel_leftover_jobs(state, env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-8000:]
    print(f"smoke snakemake on the fake SLURM cluster: {time.time() - started:.1f} s")
    return dest, params, state


def test_every_stage_ran_as_one_slurm_job(slurm_run):
    dest, params, state = slurm_run
    stages = pipeline.stages(params)
    assert set(sbatch_requests(state)) == {job_id(s) for s in stages}
    for stage in stages:
        for out in stage.all_outputs:
            assert (dest / out).exists(), f"{stage.name} did not write {out}"


def test_each_job_asks_for_what_its_stage_declares(slurm_run):
    dest, params, state = slurm_run
    requests = sbatch_requests(state)
    run_ids = {r["--job-name"] for r in requests.values()}
    assert len(run_ids) == 1 and run_ids.pop().startswith("asnet_"), "one --job-name per run, prefixed asnet_"
    for stage in pipeline.stages(params):
        asked = requests[job_id(stage)]
        assert (asked["--account"], asked["--partition"]) == (ACCOUNT, PARTITION), stage.name
        assert asked["--cpus-per-task"] == str(stage.threads), stage.name
        assert asked["--mem"] == str(stage.mem_mb), stage.name
        assert asked["--time"] == str(stage.runtime_min), stage.name
        assert asked.get("--gpus") == (str(stage.gpu) if stage.gpu else None), stage.name
        assert "--gres" not in asked, stage.name
        assert asked["--chdir"] == str(dest)
        assert Path(asked["--output"]).parent == dest / "logs/slurm" / job_log_dir(stage)


def test_each_job_runs_its_rule_as_an_srun_step(slurm_run):
    _, params, state = slurm_run
    records = [json.loads(p.read_text()) for p in (state / "jobs").glob("*.json")]
    jobs = {job["comment"]: job for job in records}
    steps = {call["job"]: parse_options(call["argv"], SRUN_VALUES, SRUN_FLAGS, "srun") for call in calls(state, "srun")}
    for stage in pipeline.stages(params):
        job = jobs[job_id(stage)]
        assert job["state"] == "COMPLETED", f"{stage.name}: {job['state']}"
        options, command = steps[job["id"]]
        assert options.get("--gpus") == (str(stage.gpu) if stage.gpu else None), stage.name
        assert "--allowed-rules" in command and stage.rule_name in command, stage.name


def test_the_run_keeps_failed_logs_only_and_reports_efficiency(slurm_run):
    dest, params, _ = slurm_run
    logs = dest / "logs/slurm"
    assert not list(logs.glob("rule_*/**/*.log")), "logs of successful jobs are deleted (slurm-keep-successful-logs)"
    report = next(logs.glob("efficiency_report_*.csv")).read_text().splitlines()
    assert len(report) == 1 + len(pipeline.stages(params)), "one row per job step"


def test_dvc_commit_records_what_the_cluster_built(slurm_run):
    dest, _, _ = slurm_run
    run(["dvc", "commit", "--force"], dest)
    assert "Data and pipelines are up to date" in run(["dvc", "status"], dest)


FAILING_WORKFLOW = """
rule all:
    input: "good.txt", "bad.txt"

rule good:
    output: "good.txt"
    resources: mem_mb=100, runtime=2
    shell: "echo done > {output}"

rule bad:
    output: "bad.txt"
    resources: mem_mb=100, runtime=2
    shell: "exit 3"
"""


def small_workflow(tmp_path: Path, snakefile: str) -> tuple[Path, Path, dict]:
    """A workflow folder with the real SLURM profile, and a fake cluster that queues jobs in the background."""
    workdir = tmp_path / "workflow"
    (workdir / "workflow/profiles").mkdir(parents=True)
    shutil.copytree(pipeline.ROOT / "workflow/profiles/slurm", workdir / "workflow/profiles/slurm")
    (workdir / "Snakefile").write_text(snakefile)
    state = tmp_path / "cluster"
    return workdir, state, fake_cluster(state, sbatch="background")


@pytest.mark.parametrize("status_command", ["sacct", "squeue"])
def test_a_failed_job_fails_the_run(tmp_path, status_command):
    """Jobs submitted in the background, as on a real cluster: the plugin is shown RUNNING, then
    COMPLETED or FAILED, through either status command, and a failed job fails the run."""
    workdir, state, env = small_workflow(tmp_path, FAILING_WORKFLOW)
    done = snakemake_on_cluster(workdir, env, "--retries", "0", "--slurm-status-command", status_command, timeout=300)
    assert done.returncode != 0
    assert (workdir / "good.txt").read_text() == "done\n"
    assert not (workdir / "bad.txt").exists()
    assert "SLURM status is: 'FAILED'" in done.stdout + done.stderr
    shown = {line.split("|")[1] for call in calls(state, status_command) for line in call.get("stdout", []) if "|" in line}
    assert shown >= {"RUNNING", "COMPLETED", "FAILED"}, shown


def test_interrupting_snakemake_cancels_its_jobs(tmp_path):
    """Ctrl-C on the login node: the plugin scancels what it submitted, and the job's processes end.

    Interrupted *during* a status query, the plugin cancels nothing: RemoteExecutor takes the jobs
    out of its active list for the query (snakemake-interface-executor-plugins 9.4, remote.py
    `_wait_for_jobs`), and `cancel()` reads that list meanwhile. So the interrupt comes just after
    a query, when the next one is >= 10 s away."""
    workdir, state, env = small_workflow(tmp_path, 'rule long:\n    output: "never.txt"\n'
                                         '    resources: mem_mb=100, runtime=10\n    shell: "echo $$ > job.pid; exec sleep 600"\n')
    command = [sys.executable, "-m", "snakemake", "--profile", "workflow/profiles/slurm", *FAST_POLLING, "never.txt"]
    snakemake = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        job_pid = wait_for_the_job_and_interrupt(snakemake, workdir / "job.pid", state)
        output = snakemake.communicate(timeout=120)[0].decode()[-4000:]
        assert [call["argv"] for call in calls(state, "scancel")] == [["1001"]], output
        assert json.loads((state / "jobs/1001.json").read_text())["state"] == "CANCELLED", output
        deadline = time.time() + 30
        while process_exists(job_pid):
            assert time.time() < deadline, "the cancelled job is still running"
            time.sleep(0.5)
    finally:  # whatever failed above, leave no job running for ten minutes
        snakemake.kill()
        cancel_leftover_jobs(state, env)


def wait_for_the_job_and_interrupt(snakemake: subprocess.Popen, pid_file: Path, state: Path) -> int:
    """SIGINT to Snakemake once the job runs and a status query has just ended -> the job's pid."""
    deadline = time.time() + 120
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.time() < deadline and snakemake.poll() is None, "the job never started"
        time.sleep(0.5)
    queries = len(calls(state, "sacct"))
    while len(calls(state, "sacct")) == queries:
        assert time.time() < deadline, "no status query while the job ran"
        time.sleep(0.2)
    time.sleep(0.5)  # the plugin has read the answer and put the job back in its active list
    snakemake.send_signal(signal.SIGINT)
    return int(pid_file.read_text())


def process_exists(pid: int) -> bool:
    """Alive, and not a zombie (an orphan's exit status may wait for a reaper that never comes)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
