"""The one command line: `asnet <command> ...`.

Each command lives in its own module exposing `add_arguments(parser)` and `main(args)`.
Only the module of the command being run is imported, so `asnet --help` and light
commands never pay for torch.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "prepare": ("asnet.data.prepare", "build a corpus manifest (+ audio) under data/prepared/"),
    "cache": ("asnet.data.cache", "decode a manifest into waveform (+ feature) shards"),
    "train": ("asnet.train.cli", "run one curriculum stage (base, sam, energy, ood, adv)"),
    "score": ("asnet.eval.score", "score a split or shift set with a checkpoint -> scores TSV"),
    "evaluate": ("asnet.eval.evaluate", "scores TSV -> metrics JSON"),
    "shift": ("asnet.shift.cli", "build codec / vocoder / CodecFake shift sets"),
    "bench": ("asnet.bench", "benchmarks: model, train, shift (print + write JSON)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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
    return int(module.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
