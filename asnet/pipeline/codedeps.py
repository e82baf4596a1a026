"""Code dependencies: which asnet source files a stage's command can execute, found by reading
import statements (function-level imports too), and the digest text that stands for them in DVC.

A stage reruns exactly when code it can execute (or a params value it reads) changes: DVC sees
both through one digest file per stage (registry.code_digest_stage writes them), Snakemake through
the files themselves and the values.
"""
from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

from asnet.utils import file_sha256

ROOT = Path(__file__).resolve().parents[2]


def _module_file(module: str) -> Path | None:
    base = ROOT / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@lru_cache(maxsize=None)
def _imported(name: str, path: Path) -> tuple[str, ...]:
    """The asnet modules (and names that may be modules) the source of module `name` imports.
    Parsed once per process: Snakemake builds the registry in every cluster job."""
    parts = name.split(".")
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("asnet")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base.startswith("asnet"):
                found.append(base)
                found += [f"{base}.{a.name}" for a in node.names]
    # a package's __init__ runs whenever a submodule is imported
    return tuple(found + [".".join(parts[:i]) for i in range(1, len(parts))])


@lru_cache(maxsize=None)
def code_deps(module: str) -> tuple[str, ...]:
    """Every asnet source file `module` imports, transitively, relative to the repository root."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        todo += _imported(name, path)
    # An empty package __init__ runs nothing: as a dependency it would only cost every `dvc repro` a check.
    return tuple(sorted(str(p.relative_to(ROOT)) for p in seen if p.stat().st_size))


def stage_code(modules: tuple[str, ...]) -> tuple[str, ...]:
    """The source files a stage running `asnet <command>` from `modules` can execute."""
    return tuple(sorted({f for module in ("asnet.cli", *modules) for f in code_deps(module)}))


def digest_text(files: tuple[str, ...], spec: str = "", values: dict | None = None) -> str:
    """`sha256  path` per file (sha256sum's format), read from the working directory (a scratch
    workspace hashes its own copies), then the run spec line the stage also depends on, if any,
    then `# params <key>: <value as JSON>` per params key it reads."""
    lines = [f"{file_sha256(f)}  {f}" for f in files] + ([f"# {spec}"] if spec else [])
    lines += [f"# params {key}: {json.dumps(value, sort_keys=True)}" for key, value in (values or {}).items()]
    return "".join(line + "\n" for line in lines)
