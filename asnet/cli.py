"""The one command line: `asnet <command> ...`.

Each command lives in its own module exposing `add_arguments(parser)` and `main(args)`.
A user error (a bad manifest, a missing shard directory, unusable audio: USER_ERRORS) ends as one
line `asnet <command>: error: <message>` and exit status 2; any other exception is a bug and keeps
its traceback. Only the module of the command being run is imported, so `asnet --help` and light
commands never pay for torch.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = {
    "download": ("asnet.data.download", "download (or take --from a folder), verify and extract a public corpus"),
    "prepare": ("asnet.data.prepare", "build a corpus manifest (+ audio) under data/prepared/"),
    "cache": ("asnet.data.cache", "decode a manifest into waveform shards"),
    "train": ("asnet.train.cli", "train one stage of a run (curriculum stage, baseline, trivial-cue model)"),
    "import": ("asnet.train.importer", "import published weights (AASIST) as a calibrated checkpoint"),
    "score": ("asnet.eval.score", "score a split or shift set with a checkpoint -> scores TSV"),
    "evaluate": ("asnet.eval.evaluate", "scores TSV -> metrics JSON"),
    "shift": ("asnet.shift.cli", "build codec / vocoder / CodecFake shift sets"),
    "attack": ("asnet.attacks.cli", "attack a checkpoint (white-box, black-box, adaptive) -> robust metrics JSON"),
    "report": ("asnet.report.cli", "paper tables, figures, the claims check and REPORT.md"),
    "detect": ("asnet.detect", "is this recording fake? score your own audio files with a checkpoint"),
    "export": ("asnet.export", "export a checkpoint's whole pipeline (front-end included) to ONNX"),
    "bench": ("asnet.bench", "benchmarks: model, train, shift, attack, prepare, detect (print + write JSON)"),
    "verify": ("asnet.verify", "after make demo: does this run reproduce the recorded one (data bytes, metrics)?"),
}


# Exceptions that mean "the input is wrong", never "the code is wrong": main() reports them as one
# line `asnet <command>: error: <message>` and exits 2. Named as module:class and looked up only in
# modules already imported (an exception of a class whose module was never imported cannot occur),
# so this table costs no import. Anything else is a bug and keeps its traceback.
USER_ERRORS = (
    "asnet.data.manifest:ManifestError",
    "asnet.data.audio:AudioError",
    "asnet.data.archives:UnsafeArchive",
    "asnet.data.download:DownloadError",
    "asnet.data.adapters.common:PrepareError",
    "asnet.data.corpora:UnknownCorpus",
    "asnet.runs:RunError",
    "asnet.eval.metrics:ScoreError",
    "asnet.eval.evaluate:CrossCorpusError",
    "asnet.models.baselines.published_weights:ImportRefused",
    "asnet.shift.codecs:ChannelError",
    "asnet.attacks.config:ConfigError",
    "asnet.attacks.subset:SubsetError",
    "asnet.verify:VerifyError",
)
OS_USER_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, FileExistsError)
INTERRUPTED = 130  # the shell's status for a command ended by Ctrl-C


def user_error_types() -> tuple[type[BaseException], ...]:
    found = []
    for spec in USER_ERRORS:
        module, _, name = spec.partition(":")
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return OS_USER_ERRORS + tuple(found)


def describe(error: BaseException) -> str:
    """One line: `<file>: <problem>` for OS errors, the message itself for our own errors."""
    if isinstance(error, OSError) and error.filename is not None:
        problem = error.strerror or str(error)
        message = f"{error.filename}: {problem[:1].lower()}{problem[1:]}"
    elif isinstance(error, KeyError) and type(error).__str__ is KeyError.__str__ and error.args:
        message = str(error.args[0])  # str(KeyError) would quote the message (a class of ours may word its own)
    else:
        message = str(error) or type(error).__name__
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def pin_cpu_threads() -> None:
    """Intra-op threads = ASNET_THREADS, else the CPUs this process may run on (its affinity: a
    SLURM allocation, a taskset), never the OMP_NUM_THREADS a workflow engine sets per rule:
    float reductions depend on the thread count, and a stage run by DVC and by Snakemake (which
    exports each rule's `threads`) must give the same bytes. Set before torch is imported."""
    threads = os.environ.get("ASNET_THREADS") or str(len(os.sched_getaffinity(0)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = threads


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pin_cpu_threads()
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
        print("usage: asnet <command> [options]\n\ncommands:\n" + "\n".join(lines))
        return 0 if not argv or argv[0] in {"-h", "--help"} else 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"asnet {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.main(args) or 0)
    except KeyboardInterrupt:
        print(f"asnet {name}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:  # noqa: BLE001 - re-raised below unless it is a user error
        if not isinstance(error, user_error_types()):
            raise
        print(f"asnet {name}: error: {describe(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
