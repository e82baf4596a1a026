"""Which params keys a process really reads: a recording view of params.yaml, enabled in tests.

With ASNET_PARAMS_LOG=<file> in the environment, asnet.utils.load_params returns the params as
`Recorded` mappings: every key looked up (`[]`, `get`, `in`), or met while iterating a section
(`dict(section)`, `{**section}`, `.items()`: the code then reads them all), is noted by its dotted
path in params.yaml, and at exit the process appends one line per key to the file:
`<arguments>\t<dotted key>`, the arguments being the command's after its program (`train --run
...` for `asnet train --run ...`, `digest ...` for `python -m asnet.pipeline digest ...`). The end-to-end test sets it for a whole DAG run and checks that every value of params.yaml
is read by a stage that tracks it (tests/pipeline/test_smoke.py). Without the variable,
load_params returns plain dicts and nothing here runs.

`copy_tree` copies params without reading them (asnet.runs builds a run's params with it), so a
run's overrides keep recording under the keys they came from.
"""
from __future__ import annotations

import atexit
import os
import sys

ENV = "ASNET_PARAMS_LOG"


class Recorded(dict):
    """A params mapping whose reads are added to `log` as dotted paths under `path`."""

    def __init__(self, items, path: str, log: set[str]):
        super().__init__(items)
        self.path, self.log = path, log

    def _note(self, key) -> None:
        self.log.add(f"{self.path}{key}")

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self._note(key)
        return super().__contains__(key)

    def __iter__(self):
        for key in super().__iter__():
            self._note(key)
            yield key

    def keys(self):
        return list(iter(self))

    def items(self):
        return [(key, super(Recorded, self).__getitem__(key)) for key in self]

    def values(self):
        return [value for _, value in self.items()]


def record(tree, log: set[str], path: str = ""):
    """`tree` (loaded YAML) with every mapping a Recorded one; YAML aliases become separate copies,
    each recording under its own path."""
    if isinstance(tree, dict):
        return Recorded({key: record(value, log, f"{path}{key}.") for key, value in tree.items()}, path, log)
    if isinstance(tree, list):
        return [record(value, log, path) for value in tree]
    return tree


def copy_tree(tree):
    """A deep copy of params that records nothing and keeps recording in the copy."""
    if isinstance(tree, Recorded):
        return Recorded({key: copy_tree(dict.__getitem__(tree, key)) for key in dict.__iter__(tree)}, tree.path, tree.log)
    if isinstance(tree, dict):
        return {key: copy_tree(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [copy_tree(value) for value in tree]
    return tree


_LOG: set[str] = set()


def recorded(tree):
    """`tree` as Recorded mappings when ENV is set (the keys written at exit), else unchanged."""
    if not os.environ.get(ENV):
        return tree
    if not _LOG:
        import yaml

        atexit.register(_write, os.environ[ENV])
        yaml.SafeDumper.add_representer(Recorded, yaml.SafeDumper.represent_dict)
    _LOG.add("")  # registers the writer once, even if nothing is read
    return record(tree, _LOG)


def _write(path: str) -> None:
    command = " ".join(sys.argv[1:])
    with open(path, "a") as f:  # one write per process: lines of concurrent stages do not interleave
        f.write("".join(f"{command}\t{key}\n" for key in sorted(_LOG - {""})))
