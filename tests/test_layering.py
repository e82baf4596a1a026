"""The package's layering (ARCHITECTURE §2), checked on the source of the asnet that is imported:

- no import cycle among asnet modules, counting function-level imports too (a lazy import only
  hides a cycle until the function runs, and a cycle means neither module is the lower one);
- evaluation, attacks and models never reach training: no module under asnet/eval/,
  asnet/attacks/ or asnet/models/ imports asnet.train, directly or through other asnet modules;
- the DAG registry stays light: `import asnet.pipeline` does not import torch.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import asnet

PACKAGE = Path(asnet.__file__).parent
LOWER_LAYERS = ("asnet.eval", "asnet.attacks", "asnet.models")
TRAINING = "asnet.train"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str) -> set[str]:
    """The asnet modules that module `name` imports anywhere in its source (module level or in a
    function). `from a.b import c` imports module a.b.c when there is one, else a.b."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules or {base}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imported_modules(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def path_to(start: str, goal, graph: dict[str, set[str]]) -> list[str] | None:
    """The shortest import chain from `start` to a module satisfying `goal` (breadth first)."""
    parent, queue = {start: None}, [start]
    for node in queue:
        if goal(node) and node != start:
            chain = [node]
            while parent[chain[-1]] is not None:
                chain.append(parent[chain[-1]])
            return chain[::-1]
        for nxt in sorted(graph[node] - parent.keys()):
            parent[nxt] = node
            queue.append(nxt)
    return None


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_import_crawler_sees_the_package():
    assert len(MODULES) > 100 and "asnet.cli" in MODULES
    assert "asnet.eval.metrics" in GRAPH["asnet.eval.score"]  # a function-level import counts


def test_no_import_cycle():
    found = cycles(GRAPH)
    assert not found, "import cycles in asnet (each line one cycle):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_evaluation_attacks_and_models_never_reach_training():
    lower = [m for m in MODULES if any(in_package(m, layer) for layer in LOWER_LAYERS)]
    chains = [chain for m in lower if (chain := path_to(m, lambda n: in_package(n, TRAINING), GRAPH))]
    assert not chains, "modules of asnet/eval, asnet/attacks or asnet/models that import asnet.train:\n" + \
        "\n".join(" -> ".join(chain) for chain in chains)


def test_the_registry_does_not_import_torch():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")])}
    code = "import sys, asnet.pipeline; print(asnet.pipeline.__file__); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    where, torch_loaded = done.stdout.split()
    assert Path(where).is_relative_to(PACKAGE) and torch_loaded == "False", "import asnet.pipeline imported torch"
