"""The report's figures: one function per kind, from plain arrays to a matplotlib figure, and
`save` to write it as a PNG and a PDF.

One style for all (STYLE, applied with matplotlib's rc_context; the Agg backend): small
column-width figures, DejaVu Sans (shipped with matplotlib, so every machine draws the same
glyphs), TrueType fonts in the PDF. Every series has a colour AND a line style AND a marker
(`look`), so a greyscale print tells them apart. Files are byte-identical for the same data: the
PNG and PDF metadata that would carry a version or a date are removed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from asnet.report.curves import RATE_FLOOR, Det, Reliability, deviate, thin  # noqa: E402
from asnet.utils import atomic_path  # noqa: E402

COLUMN_WIDTH, FULL_WIDTH = 3.5, 7.0  # inches: one and two paper columns
# Okabe-Ito (colour-blind safe), the light yellow swapped for grey
PALETTE = ("#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#7F7F7F")
DASHES = ("-", "--", ":", "-.", (0, (5, 1.5)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2, 2, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
STYLE = {
    "font.family": "DejaVu Sans", "font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7,
    "legend.fontsize": 6, "xtick.labelsize": 6, "ytick.labelsize": 6,
    "figure.dpi": 100, "savefig.dpi": 200, "savefig.bbox": "tight", "savefig.pad_inches": 0.02,
    "axes.grid": True, "grid.color": "0.88", "grid.linewidth": 0.5, "axes.axisbelow": True,
    "axes.spines.top": False, "axes.spines.right": False, "axes.linewidth": 0.6,
    "lines.linewidth": 1.1, "lines.markersize": 3.5, "legend.frameon": False,
    "pdf.fonttype": 42,  # TrueType in the PDF: editable text, no Type 3 fonts (which publishers refuse)
}
PNG_METADATA = {"Software": None}
PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}
DET_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 40, 60)  # %


def look(index: int) -> dict:
    """The colour, dash and marker of series `index` (the same model keeps its look in every figure);
    past 8 series the dash and marker shift against the colour, so 64 series stay distinct."""
    shape = (index + index // 8) % 8
    return {"color": PALETTE[index % 8], "linestyle": DASHES[shape], "marker": MARKERS[shape]}


@dataclass(frozen=True)
class Series:
    label: str
    style: int  # index into look()


def save(fig, stem: Path) -> list[Path]:
    """stem.png and stem.pdf, each written atomically; the figure is closed."""
    paths = []
    with plt.rc_context(STYLE):
        for suffix, metadata in ((".png", PNG_METADATA), (".pdf", PDF_METADATA)):
            path = stem.with_suffix(suffix)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=suffix[1:], metadata=metadata)
            paths.append(path)
    plt.close(fig)
    return paths



def new_figure(width: float = COLUMN_WIDTH, height: float = 2.5, rows: int = 1, cols: int = 1, **kwargs):
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False, **kwargs)
    return fig, axes


def legend_below(fig, ax=None, ncol: int = 2) -> None:
    """The legend under the plot, clear of the x label (the tight bounding box takes it in)."""
    handles, labels = (ax or fig.axes[0]).get_legend_handles_labels()
    if handles:
        bottom = min(a.get_position().y0 for a in fig.axes if a.get_visible())
        drop = 0.36 / fig.get_figheight()  # 0.36 in under the lowest axes: below its tick labels and x label
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, bottom - drop), ncol=ncol)


def suptitle(fig, title: str, above: float = 0.0) -> None:
    """A figure title above the panels' own titles, `above` inches higher (the tight bounding box takes it in)."""
    fig.suptitle(title, fontsize=7, y=1.0 + above / fig.get_figheight(), va="bottom")


def drawing(function):
    """Build the figure inside the report style (fonts and sizes are fixed when artists are made)."""
    def styled(*args, **kwargs):
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)
    styled.__name__, styled.__doc__ = function.__name__, function.__doc__
    return styled


# ---------------------------------------------------------------- DET
@drawing
def det_figure(title: str, curves: list[tuple[Series, Det]]):
    """DET curves, ASVspoof style: FAR (spoof accepted) vs FRR (bona fide rejected) in %, both on
    the normal-deviate (probit) scale; the EER of each curve in its legend label."""
    fig, axes = new_figure(height=COLUMN_WIDTH)
    ax = axes[0, 0]
    positive = [r for _, d in curves for r in np.concatenate((d.frr, d.far)) if r > 0]
    low = max(RATE_FLOOR, min(positive, default=RATE_FLOOR))
    ticks = [t for t in DET_TICKS if t / 100 >= low / 2.5] or [DET_TICKS[-2], DET_TICKS[-1]]
    span = deviate([ticks[0] / 100, DET_TICKS[-1] / 100])
    ax.plot(span, span, color="0.6", linestyle=(0, (1, 2)), linewidth=0.7, marker=None, label="EER line (FAR = FRR)")
    for series, d in curves:
        # rates of 0 (a perfectly separated stretch) run along the axes instead of off the plot
        x, y = np.clip(d.far_deviate, *span), np.clip(d.frr_deviate, *span)
        ax.plot(x, y, markevery=list(thin(x, y, 8)), label=f"{series.label} (EER {100 * d.eer:.2f} %)",
                clip_on=False, **look(series.style))
    positions = deviate(np.array(ticks) / 100)
    labels = [f"{t:g}" for t in ticks]
    ax.set_xticks(positions, labels)
    ax.set_yticks(positions, labels)
    ax.set_xlim(span)
    ax.set_ylim(span)
    ax.set_aspect("equal")
    ax.set_xlabel("false acceptance rate: spoofs accepted (%)")
    ax.set_ylabel("false rejection rate: bona fide rejected (%)")
    ax.set_title(title)
    legend_below(fig)
    return fig


# ---------------------------------------------------------------- scores and energies
@drawing
def score_histograms(title: str, bonafide: np.ndarray, systems: dict[str, np.ndarray],
                     unseen: set[str], threshold: float | None):
    """One panel per spoof system: its score histogram over the bona fide one (grey), with the
    dev EER operating point; score = logit_bona - logit_spoof (higher = bona fide)."""
    names = sorted(systems)
    cols = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    fig, axes = new_figure(FULL_WIDTH, 1.5 * rows + 0.4, rows, cols, sharex=True)
    fig.subplots_adjust(hspace=0.45)
    everything = np.concatenate([bonafide, *systems.values()])
    bins = np.linspace(everything.min(), everything.max(), 31) if everything.size and np.ptp(everything) > 0 else 30
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names):
        ax.hist(bonafide, bins=bins, histtype="stepfilled", color="0.82", edgecolor="0.55", linewidth=0.6,
                label="bona fide")
        ax.hist(systems[name], bins=bins, histtype="step", color="black", linewidth=1.1, label="spoof (this system)")
        if threshold is not None:
            ax.axvline(threshold, color="black", linestyle="--", linewidth=0.8, label="dev EER threshold")
        ax.set_title(f"{name} (unseen)" if name in unseen else name)
        ax.set_ylabel("clips")
    for ax in axes[-1]:
        ax.set_xlabel("score (higher = bona fide)")
    legend_below(fig, ncol=3)
    suptitle(fig, title)
    return fig


@drawing
def energy_histograms(title: str, groups: list[tuple[str, np.ndarray]], threshold: float | None):
    """Density of the free energy E(x) of each input group, with the dev OOD threshold."""
    fig, axes = new_figure(height=2.4)
    ax = axes[0, 0]
    present = [(name, values) for name, values in groups if values.size]
    everything = np.concatenate([v for _, v in present]) if present else np.zeros(1)
    bins = np.linspace(everything.min(), everything.max(), 41) if np.ptp(everything) > 0 else 20
    for i, (name, values) in enumerate(present):
        style = look(i)
        ax.hist(values, bins=bins, density=True, histtype="step", color=style["color"], linestyle=style["linestyle"],
                linewidth=1.2, label=f"{name} (n={values.size})")
    if threshold is not None:
        ax.axvline(threshold, color="0.4", linestyle=(0, (1, 1)), linewidth=0.9, label="dev OOD threshold")
    ax.set_xlabel("free energy E(x) (higher = less familiar)")
    ax.set_ylabel("density")
    ax.set_title(title)
    legend_below(fig)
    return fig


# ---------------------------------------------------------------- calibration and abstention
@drawing
def reliability_figure(panels: list[tuple[str, list[tuple[Series, Reliability]]]]):
    """Accuracy against mean confidence per ECE bin (a perfectly calibrated model lies on the diagonal)."""
    fig, axes = new_figure(COLUMN_WIDTH * max(1, len(panels)) * 0.9, 2.6, 1, max(1, len(panels)), sharey=True)
    for ax, (title, series) in zip(axes[0], panels):
        ax.plot([0.5, 1.0], [0.5, 1.0], color="0.6", linestyle=(0, (1, 2)), linewidth=0.7, label="perfect calibration")
        for s, bins in series:
            ax.plot(bins.confidence, bins.accuracy, label=s.label, **look(s.style))
        ax.set_xlim(0.5, 1.0)
        ax.set_ylim(0.0, 1.02)
        ax.set_xlabel("confidence max(P(spoof), 1 − P(spoof))")
        ax.set_title(title)
    axes[0, 0].set_ylabel("accuracy")
    legend_below(fig, axes[0, 0], ncol=3)
    return fig


@drawing
def risk_coverage_figure(title: str,
                         curves: list[tuple[Series, np.ndarray, np.ndarray, np.ndarray | None]]):
    """Selective risk (error rate of the kept clips, %) against coverage, abstaining by a(x)."""
    fig, axes = new_figure(height=2.4)
    ax = axes[0, 0]
    for s, coverage, risk, spread in curves:
        ax.plot(coverage, risk, label=s.label, **look(s.style))
        if spread is not None:
            ax.fill_between(coverage, risk - spread, risk + spread, color=look(s.style)["color"], alpha=0.12, linewidth=0)
    ax.set_xlabel("coverage (fraction of clips kept)")
    ax.set_ylabel("risk: error rate on kept clips (%)")
    ax.set_xlim(0.0, 1.0)
    ax.set_title(title)
    legend_below(fig)
    return fig


# ---------------------------------------------------------------- robustness
@dataclass(frozen=True)
class BudgetCurve:
    series: Series
    budgets: np.ndarray
    accuracy: np.ndarray       # robust accuracy, % (mean over seeds)
    accuracy_std: np.ndarray   # 0 where one seed
    eer: np.ndarray            # robust EER, %
    eer_std: np.ndarray


@drawing
def robustness_figure(title: str, norm: str, curves: list[BudgetCurve]):
    """Robust accuracy and robust EER against the attack budget (mean ± std over seeds)."""
    fig, axes = new_figure(FULL_WIDTH, 2.4, 1, 2)
    panels = ((axes[0, 0], "accuracy", "robust accuracy (%)"), (axes[0, 1], "eer", "robust EER (%)"))
    for ax, field, ylabel in panels:
        for c in curves:
            ax.errorbar(c.budgets, getattr(c, field), yerr=getattr(c, f"{field}_std"), capsize=2, label=c.series.label,
                        **look(c.series.style))
        if norm == "linf":
            ax.set_xscale("log")
            ax.set_xlabel("L∞ budget ε (waveform units on [−1, 1])")
        else:
            ax.invert_xaxis()
            ax.set_xlabel("L2 budget as SNR (dB; stronger to the right)")
        budgets = sorted({float(b) for c in curves for b in c.budgets})
        if budgets:
            ax.set_xticks(budgets, [f"{b:g}" for b in budgets])
            ax.minorticks_off()
        ax.set_ylabel(ylabel)
        ax.set_ylim(-2, 102)  # both are percentages: a std bar past 100 % is cut, not given axis room
    legend_below(fig, ncol=4)
    suptitle(fig, title)
    return fig


# ---------------------------------------------------------------- gate
@drawing
def gate_figure(title: str, sets: list[str],
                series: list[tuple[Series, list[float | None], list[float | None]]]):
    """Mean spectral gate weight α_spec per test set (α_pros = 1 − α_spec), one marker per model."""
    fig, axes = new_figure(COLUMN_WIDTH, 0.22 * len(sets) + 0.9)
    ax = axes[0, 0]
    offsets = np.linspace(-0.25, 0.25, len(series)) if len(series) > 1 else [0.0]
    for (s, means, stds), offset in zip(series, offsets):
        y = [i + offset for i, m in enumerate(means) if m is not None]
        x = [m for m in means if m is not None]
        err = [e or 0.0 for m, e in zip(means, stds) if m is not None]
        style = look(s.style)
        ax.errorbar(x, y, xerr=err, linestyle="none", marker=style["marker"], color=style["color"], capsize=1.5,
                    label=s.label)
    ax.axvline(0.5, color="0.6", linestyle=(0, (1, 2)), linewidth=0.7)
    ax.set_yticks(range(len(sets)), sets)
    ax.invert_yaxis()
    ax.set_xlabel("mean spectral gate weight α_spec")
    ax.set_title(title)
    legend_below(fig, ncol=3)
    return fig


# ---------------------------------------------------------------- training
@dataclass(frozen=True)
class TrainingCurve:
    series: Series
    points: dict[str, list[tuple[float, float]]]  # panel -> (epoch across the stages, value)


@drawing
def training_figure(title: str, panels: list[str], curves: list[TrainingCurve],
                    boundaries: list[tuple[float, str]]):
    """Training curves across the stages (epochs counted through the whole chain), one line per seed."""
    fig, axes = new_figure(FULL_WIDTH, 2.3, 1, max(1, len(panels)))
    for ax, panel in zip(axes[0], panels):
        for c in curves:
            if c.points.get(panel):
                x, y = zip(*c.points[panel])
                ax.plot(x, y, label=c.series.label, **look(c.series.style))
        for start, stage in boundaries:
            ax.axvline(start, color="0.6", linestyle=(0, (1, 2)), linewidth=0.7)
            ax.annotate(stage, (start, 1.0), xycoords=("data", "axes fraction"), xytext=(2, 1),
                        textcoords="offset points", fontsize=6, color="0.3", va="bottom")
        ax.set_xlabel("epoch (counted through the stages)")
        ax.set_ylabel(panel)
    legend_below(fig, ncol=4)
    suptitle(fig, title, above=0.1 if boundaries else 0.0)  # clear of the stage names
    return fig
