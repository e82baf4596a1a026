"""The whole report, from params + the results tree to the output directory.

    <out>/REPORT.md                      every table and figure in reading order (asnet.report.document)
    <out>/claims.json                    the claims check, every number of it
    <out>/tables/<name>.{md,tex,csv}     asnet.report.tables, asnet.report.claims
    <out>/figures/<name>.{png,pdf}       asnet.report.gallery, asnet.report.figures
    <out>/plots/**.csv, dvc-plots.yaml   data for `dvc plots` (asnet.report.dvc_plots)
    <out>/model_cards/<run>-<stage>.md   asnet.report.model_card, one per evaluated checkpoint
    <excerpt>                            the README's measured block (asnet.report.excerpt)

The output directory is built beside <out> and swapped in whole at the end, so a failed run leaves
the previous report (or none), never half of one. The bytes depend only on the inputs: nothing
reads the clock, file lists are sorted, figures carry no dates.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from asnet.report.claims import ClaimResult, check_all, claims_table, definitions
from asnet.report.collect import Results, collect
from asnet.report.config import ConfigError, ReportConfig
from asnet.report.document import Provenance, report_markdown
from asnet.report.dvc_plots import entries_for
from asnet.report.excerpt import excerpt
from asnet.report.gallery import Gallery
from asnet.report.provenance import params_digest, runtime, source_commit
from asnet.report.tables import TABLES
from asnet.utils import load_params, write_json, write_text


@dataclass
class Built:
    out: Path
    tables: int
    figures: int
    claims: list[ClaimResult]
    notes: list[str]
    cards: int


def found(results: Results) -> str:
    checkpoints = [ck for group in results.checkpoints.values() for ck in group]
    evaluated = sum(bool(ck.metrics) for ck in checkpoints)
    attacked = sum(ck.attack_summary is not None for ck in checkpoints)
    return (f"{len(results.runs)} runs entries, {len(checkpoints)} evaluated checkpoints: {evaluated} with metrics, "
            f"{attacked} with attack results")


def model_cards(results: Results, directory: Path) -> list[str]:
    """One full card per evaluated checkpoint that has its checkpoint.json (asnet.report.model_card)."""
    from asnet.report.model_card import render_model_card

    names = []
    for group in results.checkpoints.values():
        for ck in group:
            if ck.meta is None:
                continue
            name = f"{ck.run.id}-{ck.stage}"
            meta = {**ck.meta, "path": f"{results.root.name}/models/{ck.id}"}
            metrics = {s: m for s, m in ck.metrics.items() if s != "dev"} or None
            write_text(directory / f"{name}.md", render_model_card(meta, metrics, ck.attack_summary))
            names.append(name)
    return names


def write_outputs(results: Results, params_path: Path, staging: Path, report: str) -> tuple[Built, str]:
    """Everything of <out> into `staging`; returns the summary and the excerpt text (naming `report`)."""
    tables = [t for t in (make(results) for make in TABLES) if t.columns and t.rows]
    claim_results = check_all(results)
    claims = claims_table(claim_results)
    for table in [claims, *tables]:
        for suffix, text in ((".md", table.markdown()), (".tex", table.latex()), (".csv", table.csv())):
            write_text(staging / "tables" / f"{table.name}{suffix}", text)
    write_json(staging / "claims.json", [r.as_dict() for r in claim_results], digits=10)
    gallery = Gallery(results)
    figures = gallery.figures()
    for figure in figures:
        figure.draw(staging / "figures" / figure.stem)
    plots = gallery.plot_files()
    for name, text in sorted(plots.items()):
        write_text(staging / "plots" / name, text)
    write_text(staging / "plots" / "dvc-plots.yaml",
               "# top-level `plots:` entries of dvc.yaml for the files below (asnet.report.dvc_plots)\n"
               + yaml.safe_dump(entries_for(list(plots)), sort_keys=False, width=120))
    cards = model_cards(results, staging / "model_cards")
    digest = params_digest(params_path)
    provenance = Provenance(source_commit(params_path.resolve().parent), digest, runtime(results).describe(),
                            found(results))
    main = next((t for t in tables if t.name == "main"), None)
    write_text(staging / "REPORT.md", report_markdown(provenance, [claims, *tables], figures, definitions(results),
                                                      list(dict.fromkeys(results.notes)), cards))
    text = excerpt(main.markdown() if main else "(no models)\n", claims.markdown(), digest, report)
    return Built(Path(), len(tables) + 1, len(figures), claim_results, results.notes, len(cards)), text


def swap_in(staging: Path, out: Path) -> None:
    """Replace `out` by `staging` (one rename each way; the old report is deleted last)."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        out.rename(old / out.name)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old)


def build_report(params_path: str | Path, results_dir: str | Path, out: str | Path, excerpt_path: str | Path,
                 entries: list[str] | None = None) -> Built:
    """`entries`: report only these entries (or runs, `lcnn_s0`) of params runs (the demo's report), else all."""
    params_path, out = Path(params_path), Path(out)
    params = load_params(params_path)
    if entries is not None:
        params["runs"] = only_entries(params["runs"], entries)
    config = ReportConfig.from_params(params)
    results = collect(params, config, results_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.new-"))
    try:
        built, text = write_outputs(results, params_path, staging, (out / "REPORT.md").as_posix())
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes 0700 directories
        swap_in(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    write_text(excerpt_path, text)
    built.out = out
    return built


def only_entries(run_entries: dict, entries: list[str]) -> dict:
    """params runs cut to `entries`: each an entry (all its seeds) or a run id <entry>_s<seed> (that seed)."""
    seeds, unknown = {}, []
    for item in entries:
        entry, _, seed = item.rpartition("_s")
        if item in run_entries:
            seeds[item] = list(run_entries[item]["seeds"])
        elif entry in run_entries and seed.isdigit() and int(seed) in run_entries[entry]["seeds"]:
            seeds.setdefault(entry, []).append(int(seed))
        else:
            unknown.append(item)
    if unknown:
        raise ConfigError(f"--entries names entries or runs that params runs does not have: {', '.join(unknown)}")
    return {name: {**spec, "seeds": [s for s in spec["seeds"] if s in seeds[name]]}
            for name, spec in run_entries.items() if name in seeds}


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
