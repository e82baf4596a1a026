"""A report table and its three files: Markdown (for REPORT.md and the README), LaTeX (booktabs,
through pandas' Styler, for \\input in a paper) and CSV (tidy: one line per cell, numbers at full
precision, for anything that plots or checks them).

The best value of each column is bold, per group of rows, in the column's direction (lower EER
and ECE, higher AUC): the cell(s) whose mean, rounded as printed, is the best printed mean. A
column without a direction, or a group with fewer than two values, marks nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from asnet.report.cells import Cell, render

ARROWS = {"lower": ("↓", "$\\downarrow$"), "higher": ("↑", "$\\uparrow$")}
LATEX_SPECIALS = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
                  "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
                  "–": "--", "×": "$\\times$", "±": "$\\pm$", "ε": "$\\varepsilon$", "†": "$^\\dagger$",
                  "≥": "$\\geq$", "∞": "$\\infty$", "α": "$\\alpha$"}


def latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    better: str | None = None   # lower | higher | None
    digits: int = 2
    align: str = "right"        # right (numbers) | left (words)

    def title(self, tex: bool = False) -> str:
        head = latex_escape(self.header) if tex else self.header
        if self.better:
            head += " " + ARROWS[self.better][1 if tex else 0]
        return head


@dataclass
class Row:
    labels: tuple[str, ...]
    cells: dict[str, Cell]
    group: str | None = ""  # best values are marked within a group; None = never ranked


@dataclass
class Table:
    name: str                       # file stem
    title: str
    caption: str                    # one line: what the table shows
    label_headers: tuple[str, ...]  # the leading text columns (model, attack, ...)
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    def cell(self, row: Row, key: str) -> Cell:
        return row.cells.get(key, Cell())

    def best(self) -> set[tuple[int, str]]:
        """(row index, column key) of every best cell."""
        marked = set()
        for column in self.columns:
            if column.better is None:
                continue
            for group in dict.fromkeys(r.group for r in self.rows if r.group is not None):
                printed = {i: round(self.cell(r, column.key).mean, column.digits)
                           for i, r in enumerate(self.rows)
                           if r.group == group and self.cell(r, column.key).mean is not None}
                if len(printed) < 2:
                    continue
                target = (min if column.better == "lower" else max)(printed.values())
                marked |= {(i, column.key) for i, v in printed.items() if v == target}
        return marked

    # ------------------------------------------------------------ files
    def markdown(self) -> str:
        best = self.best()
        header = [*self.label_headers, *(c.title() for c in self.columns)]
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join([":---"] * len(self.label_headers)
                                + [":---" if c.align == "left" else "---:" for c in self.columns]) + "|"]
        for i, row in enumerate(self.rows):
            cells = []
            for c in self.columns:
                text = render(self.cell(row, c.key), c.digits)
                cells.append(f"**{text}**" if (i, c.key) in best else text)
            lines.append("| " + " | ".join([*row.labels, *cells]).replace("\n", " ") + " |")
        return "\n".join(lines) + "\n"

    def latex(self) -> str:
        import pandas as pd

        best = self.best()
        header = [latex_escape(h) for h in self.label_headers] + [c.title(tex=True) for c in self.columns]
        data = [[latex_escape(label) for label in row.labels] + [self.latex_cell(row, c) for c in self.columns]
                for row in self.rows]
        frame = pd.DataFrame(data, columns=header)
        offset = len(self.label_headers)
        bold = [[("textbf: --rwrap;" if (i, c.key) in best else "") for c in self.columns] for i in range(len(self.rows))]
        styles = pd.DataFrame([[""] * offset + b for b in bold], columns=header)
        styler = frame.style.hide(axis="index").apply(lambda _: styles, axis=None)
        return styler.to_latex(
            hrules=True, column_format="l" * offset + "".join(c.align[0] for c in self.columns), position="t",
            position_float="centering", caption=latex_escape(f"{self.title}. {self.caption}"), label=f"tab:{self.name}",
        )

    def latex_cell(self, row: Row, column: Column) -> str:
        cell = self.cell(row, column.key)
        return latex_escape(cell.text) if cell.text is not None else render(cell, column.digits, tex=True)

    def csv(self) -> str:
        best = self.best()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*self.label_headers, "column", "mean", "std", "n", "seeds", "ci95_low", "ci95_high", "text", "best"])
        for i, row in enumerate(self.rows):
            for c in self.columns:
                cell = self.cell(row, c.key)
                ci = cell.ci or (None, None)
                writer.writerow([*row.labels, c.key, _num(cell.mean), _num(cell.std), cell.n, cell.seeds,
                                 _num(ci[0]), _num(ci[1]), cell.text or "", int((i, c.key) in best)])
        return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else format(value, ".10g")
