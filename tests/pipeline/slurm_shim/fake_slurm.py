"""A recording stand-in for the SLURM commands snakemake-executor-plugin-slurm calls, so a test can
run a workflow through the real plugin on a machine without SLURM.

`bin/<command>` runs `fake_slurm.py <command> ARGS...`. Everything lives in the folder named by
$FAKE_SLURM_DIR:

    cluster.json   what the fake cluster offers (written by the test; see CLUSTER_DEFAULTS)
    calls.jsonl    one record per command: its argv, what it printed, and for sbatch the job script
    jobs/<id>.json one record per job: request, state, exit code, times, CPU time, peak memory
    next_id        the job-id counter

sbatch runs the job on this machine, in `cluster.json` "sbatch" mode: "sync" (sbatch returns when
the job has ended, so every status query finds it done and the plugin never waits on a back-off)
or "background" (sbatch returns at once, like a real cluster; the job is PENDING, then RUNNING,
then COMPLETED / FAILED / CANCELLED). sacct and squeue print the lines the plugin parses.
Options a command does not know make it fail loudly, so a plugin upgrade that emits a new flag
shows up in the tests instead of being ignored.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

CLUSTER_DEFAULTS = {
    "accounts": ["asnet"],                         # what sacctmgr lists for the user
    "partitions": {"batch": {"gpus_per_node": 4}},  # name -> GPUs per node (0: no --gpus there)
    "default_partition": "batch",                  # marked with * by sinfo
    "min_job_age_s": 300,                          # scontrol show config: MinJobAge
    "max_array_size": 1001,                        # scontrol show config: MaxArraySize
    "sbatch": "sync",                              # sync | background
}
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED"}

# sbatch / srun options that take a value (as `--opt value`, `--opt=value` or `-x value`); flags take none.
SBATCH_VALUES = {"--job-name", "-J", "--output", "-o", "--comment", "-A", "--account", "-p", "--partition",
                 "-t", "--time", "--mem", "--mem-per-cpu", "-D", "--chdir", "--gpus", "-G", "--gres",
                 "--cpus-per-task", "-c", "--cpus-per-gpu", "--ntasks", "-n", "--ntasks-per-gpu", "--nodes", "-N",
                 "-C", "--constraint", "--qos", "--reservation", "--exclude", "--export", "--wrap", "--clusters"}
SBATCH_FLAGS = {"--parsable", "--requeue", "--no-requeue"}
SRUN_VALUES = {"-n", "--ntasks", "--cpu-bind", "--cpus-per-task", "-c", "--cpus-per-gpu", "--gpus", "-G",
               "--nodes", "-N", "--jobid", "-J", "--job-name", "--mem-per-cpu"}
SRUN_FLAGS = {"--exclusive"}
ALIASES = {"-J": "--job-name", "-o": "--output", "-A": "--account", "-p": "--partition", "-t": "--time",
           "-D": "--chdir", "-G": "--gpus", "-c": "--cpus-per-task", "-n": "--ntasks", "-N": "--nodes",
           "-C": "--constraint"}


class UsageError(Exception):
    """A call the fake does not support: printed like SLURM's own errors, exit status 1."""


# ---------------------------------------------------------------- state
def state_dir() -> Path:
    path = Path(os.environ["FAKE_SLURM_DIR"])
    (path / "jobs").mkdir(parents=True, exist_ok=True)
    return path


def cluster() -> dict:
    path = state_dir() / "cluster.json"
    return CLUSTER_DEFAULTS | (json.loads(path.read_text()) if path.exists() else {})


@contextmanager
def locked(name: str):
    """An exclusive lock: the plugin submits from two threads and polls from a third."""
    with open(state_dir() / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def record_call(command: str, argv: list[str], **extra) -> None:
    line = json.dumps({"command": command, "argv": argv, "time": time.time(), **extra})
    with locked("calls"), open(state_dir() / "calls.jsonl", "a") as log:
        log.write(line + "\n")


def job_path(job_id: str) -> Path:
    return state_dir() / "jobs" / f"{job_id}.json"


def read_job(job_id: str) -> dict:
    return json.loads(job_path(job_id).read_text())


def write_job(job: dict) -> None:
    """Atomically: sacct may read the record while it is written."""
    tmp = job_path(job["id"]).with_suffix(".tmp")
    tmp.write_text(json.dumps(job, indent=1))
    tmp.replace(job_path(job["id"]))


def update_job(job_id: str, **fields) -> dict:
    with locked(f"job{job_id}"):
        job = read_job(job_id) | fields
        write_job(job)
    return job


def all_jobs() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(state_dir().glob("jobs/*.json"), key=lambda p: int(p.stem))]


def next_job_id() -> str:
    with locked("next_id"):
        counter = state_dir() / "next_id"
        job_id = int(counter.read_text()) if counter.exists() else 1001
        counter.write_text(str(job_id + 1))
    return str(job_id)


# ---------------------------------------------------------------- option parsing
def parse_options(args: list[str], valued: set[str], flags: set[str], command: str) -> tuple[dict, list[str]]:
    """SLURM-style options up to the first positional word -> ({canonical option: value}, the rest)."""
    options: dict[str, str | bool] = {}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, eq, value = args[i].partition("=")
        if not args[i].startswith("--") and len(args[i]) > 2:  # -n1: a short option with its value attached
            name, eq, value = args[i][:2], "=", args[i][2:]
        if name in flags and not eq:
            options[name] = True
        elif name in valued:
            if not eq:
                if i + 1 == len(args):
                    raise UsageError(f"{command}: option {name} requires an argument")
                i += 1
                value = args[i]
            options[ALIASES.get(name, name)] = value
        else:
            raise UsageError(f"{command}: unrecognized option '{args[i]}' (the fake knows only what the plugin sends)")
        i += 1
    return options, args[i:]


# ---------------------------------------------------------------- sbatch
def gpus_requested(options: dict) -> int:
    """GPUs of --gpus=[type:]N or --gres=gpu[:type][:N] (no count: one)."""
    gres = options.get("--gres", "")
    spec = options.get("--gpus") or (gres if gres.startswith("gpu") else "")
    count = spec.rsplit(":", 1)[-1]
    return int(count) if count.isdigit() else int(bool(spec))


def validate_request(options: dict) -> None:
    """The checks a real controller makes before it accepts a job."""
    config = cluster()
    account = options.get("--account")
    if account is not None and account not in config["accounts"]:
        raise UsageError(f"sbatch: error: Batch job submission failed: Invalid account ({account})")
    partition = options.get("--partition", config["default_partition"])
    if partition not in config["partitions"]:
        raise UsageError("sbatch: error: Batch job submission failed: Invalid partition name specified")
    if gpus_requested(options) > config["partitions"][partition]["gpus_per_node"]:
        raise UsageError("sbatch: error: Batch job submission failed: Requested node configuration is not available")


def sbatch(args: list[str]) -> int:
    options, rest = parse_options(args, SBATCH_VALUES, SBATCH_FLAGS, "sbatch")
    if "--wrap" in options:
        if rest:
            raise UsageError("sbatch: error: script arguments not permitted with --wrap option")
        script = f"#!/bin/sh\n{options['--wrap']}\n"
    elif rest:
        script = sys.stdin.read() if rest[0] in ("/dev/stdin", "-") else Path(rest[0]).read_text()
    else:
        raise UsageError("sbatch: error: no batch script given (neither --wrap nor a script)")
    record_call("sbatch", args, script=script)
    validate_request(options)
    job_id = next_job_id()
    workdir = options.get("--chdir", os.getcwd())
    write_job({
        "id": job_id, "name": options.get("--job-name", "sbatch"), "comment": options.get("--comment", ""),
        "account": options.get("--account"), "partition": options.get("--partition", cluster()["default_partition"]),
        "options": options, "script": script, "workdir": workdir, "env": dict(os.environ),
        "output": str(Path(workdir, options.get("--output", "slurm-%j.out"))).replace("%j", job_id),
        "state": "PENDING", "exit_code": None, "submit_time": time.time(),
    })
    # The job runs in a process of its own session, like a job on a node: it ends and records its
    # state even when sbatch (or the Snakemake that called it) is killed meanwhile.
    subprocess.Popen([sys.executable, __file__, "_run", job_id], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if cluster()["sbatch"] == "sync":
        while read_job(job_id)["state"] not in FINAL_STATES:
            time.sleep(0.2)
    print(job_id if "--parsable" in options else f"Submitted batch job {job_id}")
    return 0


def job_environment(job: dict) -> dict:
    options = job["options"]
    env = job["env"] | {
        "SLURM_JOB_ID": job["id"], "SLURM_JOBID": job["id"], "SLURM_JOB_NAME": job["name"],
        "SLURM_JOB_PARTITION": job["partition"], "SLURM_SUBMIT_DIR": job["workdir"],
        "SLURM_CPUS_PER_TASK": options.get("--cpus-per-task", "1"),
    }
    if job["account"]:
        env["SLURM_JOB_ACCOUNT"] = job["account"]
    if "--gpus" in options:
        env["SLURM_GPUS"] = options["--gpus"]  # the jobstep plugin reads it to know it is a GPU job
    return env


def run_job(job_id: str) -> None:
    """Run the job script with SLURM's environment, log to --output, record state, CPU time and peak RSS."""
    job = update_job(job_id, state="RUNNING", start_time=time.time())
    script = state_dir() / "jobs" / f"{job_id}.sh"
    script.write_text(job["script"])
    script.chmod(0o755)
    Path(job["output"]).parent.mkdir(parents=True, exist_ok=True)
    with open(job["output"], "w") as log:
        # its own process group, which scancel signals as a whole
        child = subprocess.Popen([str(script)], cwd=job["workdir"], env=job_environment(job), start_new_session=True,
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        update_job(job_id, script_pid=child.pid)
        _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if read_job(job_id)["state"] == "CANCELLED":
        return
    update_job(job_id, state="COMPLETED" if code == 0 else "FAILED", exit_code=code, end_time=time.time(),
               cpu_seconds=usage.ru_utime + usage.ru_stime, max_rss_kb=usage.ru_maxrss)


# ---------------------------------------------------------------- status and accounting
def clock(seconds: float, fraction: bool = False) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{secs:06.3f}" if fraction else f"{hours:02d}:{minutes:02d}:{int(secs):02d}"


def efficiency_rows(job: dict) -> list[str]:
    """JobID,JobName,Comment,Elapsed,TotalCPU,NNodes,NCPUS,MaxRSS,ReqMem: the job and its one srun step."""
    elapsed = clock(job.get("end_time", time.time()) - job.get("start_time", time.time()))
    cpu = clock(job.get("cpu_seconds", 0.0), fraction=True)
    ncpus = job["options"].get("--cpus-per-task", "1")
    mem = f"{job['options'].get('--mem', '0')}M"
    head = f"{job['name']}|{job['comment']}|{elapsed}|{cpu}|1|{ncpus}"
    return [f"{job['id']}|{head}||{mem}", f"{job['id']}.0|{head}|{job.get('max_rss_kb', 0)}K|{mem}"]


def sacct(args: list[str]) -> int:
    options, rest = parse_options(args, {"--clusters", "--format", "-o", "--starttime", "--endtime", "--name", "-j"},
                                  {"-X", "--parsable2", "--noheader", "-n"}, "sacct")
    if rest:
        raise UsageError(f"sacct: unexpected arguments {rest}")
    fields = options.get("--format", options.get("-o"))
    if fields == "Reason" and "-j" in options:
        job_id, _, step = options["-j"].partition(".")
        job = read_job(job_id)
        lines = ["NonZeroExitCode"] if step == "0" and job["state"] == "FAILED" else []
    elif fields == "JobIdRaw,State" and "--name" in options:
        lines = [f"{j['id']}|{j['state']}" for j in all_jobs() if j["name"] == options["--name"]]
    elif fields == "JobID,JobName,Comment,Elapsed,TotalCPU,NNodes,NCPUS,MaxRSS,ReqMem" and "--name" in options:
        lines = [row for j in all_jobs() if j["name"] == options["--name"] for row in efficiency_rows(j)]
    else:
        raise UsageError(f"sacct: the fake does not answer {args}")
    return answer("sacct", args, lines)


def squeue(args: list[str]) -> int:
    options, rest = parse_options(args, {"--format", "--states", "--name"}, {"--noheader"}, "squeue")
    if rest or options.get("--format") != "%i|%T" or options.get("--states") != "all":
        raise UsageError(f"squeue: the fake does not answer {args}")
    return answer("squeue", args, [f"{j['id']}|{j['state']}" for j in all_jobs() if j["name"] == options.get("--name")])


def answer(command: str, args: list[str], lines: list[str]) -> int:
    """Print a query's lines and record them, so a test can see which states the plugin was shown."""
    record_call(command, args, stdout=lines)
    print("\n".join(lines))
    return 0


def scancel(args: list[str]) -> int:
    record_call("scancel", args)
    for job_id in args:
        job = read_job(job_id)
        if job["state"] in FINAL_STATES:
            continue
        update_job(job_id, state="CANCELLED", end_time=time.time())
        if "script_pid" in job:
            with contextlib.suppress(ProcessLookupError):  # it may end between the check and the kill
                os.killpg(job["script_pid"], signal.SIGTERM)
    return 0


# ---------------------------------------------------------------- the rest of the plugin's calls
def srun(args: list[str]) -> int:
    """A job step: record it, then become the command (stdin passes through for `sh -s`)."""
    options, command = parse_options(args, SRUN_VALUES, SRUN_FLAGS, "srun")
    if "SLURM_JOB_ID" not in os.environ:
        raise UsageError("srun: error: the fake runs steps only inside a job")
    record_call("srun", args, job=os.environ["SLURM_JOB_ID"])
    # the step's own environment (the jobstep plugin strips the job's SLURM_* before calling srun)
    os.environ["SLURM_STEP_ID"] = "0"
    os.environ["SLURM_CPUS_PER_TASK"] = options.get("--cpus-per-task", "1")
    if "--gpus" in options:
        os.environ["SLURM_GPUS"] = options["--gpus"]
    os.execvp(command[0], command)


def sinfo(args: list[str]) -> int:
    if args != ["-o", "%P"]:
        raise UsageError(f"sinfo: the fake does not answer {args}")
    config = cluster()
    names = [name + ("*" if name == config["default_partition"] else "") for name in config["partitions"]]
    return answer("sinfo", args, ["PARTITION", *names])


def sacctmgr(args: list[str]) -> int:
    if args[:4] != ["-n", "-s", "list", "user"] or args[5:] != ["format=account%256"]:
        raise UsageError(f"sacctmgr: the fake does not answer {args}")
    return answer("sacctmgr", args, [f"{account:>256}" for account in cluster()["accounts"]])


def scontrol(args: list[str]) -> int:
    if args != ["show", "config"]:
        raise UsageError(f"scontrol: the fake does not answer {args}")
    config = cluster()
    return answer("scontrol", args, [f"MaxArraySize            = {config['max_array_size']}",
                                     f"MinJobAge               = {config['min_job_age_s']} sec"])


COMMANDS = {"sbatch": sbatch, "sacct": sacct, "squeue": squeue, "scancel": scancel, "srun": srun,
            "sinfo": sinfo, "sacctmgr": sacctmgr, "scontrol": scontrol, "_run": lambda args: run_job(args[0]) or 0}


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    try:
        return COMMANDS[command](args)
    except UsageError as error:
        record_call(command, args, error=str(error))
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
