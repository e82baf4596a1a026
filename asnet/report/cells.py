"""A table cell: one metric of one model over its seeds, and how it is written.

Over seeds a cell is mean ± sample standard deviation (ddof 1). A model with one seed that has a
value shows that value with its bootstrap 95 % interval in brackets when the metrics carry one
(EER, AUC: asnet.eval.evaluate's stratified bootstrap), else the bare value. A cell with fewer
values than the model has seeds says so, "(n=2)"; a cell without any value is "–".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

DASH = "–"


@dataclass(frozen=True)
class Cell:
    mean: float | None = None
    std: float | None = None
    n: int = 0                               # seeds with a value
    seeds: int = 0                           # seeds the model has
    ci: tuple[float, float] | None = None    # bootstrap 95 % interval (one-seed cells only)
    text: str | None = None                  # a cell that is words, not a number

    @property
    def empty(self) -> bool:
        return self.mean is None and self.text is None


def finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def over_seeds(values: list, intervals: list | None = None) -> Cell:
    """The cell of one metric given one value (or None) per seed, and optionally one interval per seed."""
    intervals = intervals or [None] * len(values)
    kept = [(float(v), ci) for v, ci in zip(values, intervals) if finite(v)]
    if not kept:
        return Cell(seeds=len(values))
    numbers = [v for v, _ in kept]
    mean = math.fsum(numbers) / len(numbers)
    if len(numbers) == 1:
        ci = kept[0][1]
        return Cell(mean, None, 1, len(values), None if ci is None else (float(ci[0]), float(ci[1])))
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in numbers) / (len(numbers) - 1))
    return Cell(mean, std, len(numbers), len(values))


def words(text: str) -> Cell:
    return Cell(text=text)


def number(value: float, digits: int, tex: bool = False) -> str:
    if math.isinf(value):
        return ("$\\infty$" if tex else "∞") if value > 0 else ("$-\\infty$" if tex else "−∞")
    return f"{round(value, digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.00"


def render(cell: Cell, digits: int, tex: bool = False) -> str:
    """The cell as Markdown text (or LaTeX, tex=True); `text` cells are returned unchanged."""
    if cell.text is not None:
        return cell.text
    if cell.mean is None:
        return "--" if tex else DASH
    out = number(cell.mean, digits, tex)
    if cell.std is not None:
        out += (" $\\pm$ " if tex else " ± ") + number(cell.std, digits, tex)
    elif cell.ci is not None:
        out += f" [{number(cell.ci[0], digits, tex)}, {number(cell.ci[1], digits, tex)}]"
    if cell.n < cell.seeds:
        out += f" (n={cell.n})"
    return out
