"""The settings of `asnet report` (params `report:`), read and checked before anything is loaded,
so that a typo fails at once with one line, and every key of the section is read by the command
that tracks it.

    report:
      asnet: {entry: asnet, stage: adv}   # the ASNet checkpoint of the main table and the claims check
      baselines: [lcnn, rawnet2]   # the trained runs the claims check may call "best baseline"
      references: [trivial, aasist_published]        # rows shown in every table, never a claims baseline
      claims: {attack: pgd_linf, eps: 0.002, min_clips: 200}   # the claims suite's result behind "adversarial
                                                     # EER (PGD)"; clips per compared group a firm verdict needs
      bootstrap: {resamples: 1000, seed: 0}          # the paired bootstrap of the claims check
      demo: [asnet, lcnn_s0, trivial]   # the entries (all seeds) or runs of the demo's report

`demo` is read by the stage registry (asnet.pipeline): stage demo_report runs `asnet report
--entries` with those entries and runs; it is checked here like the other lists.

Entries named here need not be in params `runs` (a baseline not trained yet is reported as
missing); the section itself must be complete and well-typed.
"""
from __future__ import annotations

from dataclasses import dataclass

KEYS = ("asnet", "baselines", "references", "claims", "bootstrap")
REGISTRY_KEYS = ("demo",)  # read by the stage registry, not by the report (the module docstring)


class ConfigError(ValueError):
    """A params `report:` value the report cannot use (the message names it)."""


@dataclass(frozen=True)
class ReportConfig:
    asnet_entry: str
    asnet_stage: str
    baselines: tuple[str, ...]
    references: tuple[str, ...]
    claims_attack: str
    claims_eps: float
    min_clips: int
    resamples: int
    seed: int

    @classmethod
    def from_params(cls, params: dict) -> "ReportConfig":
        check_sections(params)
        section = params.get("report")
        if not isinstance(section, dict):
            raise ConfigError("params has no report: section")
        missing, unknown = sorted(set(KEYS) - set(section)), sorted(set(section) - set(KEYS) - set(REGISTRY_KEYS))
        if missing or unknown:
            raise ConfigError(f"params report: missing {missing}, unknown {unknown}")
        asnet = _mapping(section, "asnet", ("entry", "stage"))
        claims = _mapping(section, "claims", ("attack", "eps", "min_clips"))
        bootstrap = _mapping(section, "bootstrap", ("resamples", "seed"))
        if "demo" in section:
            _names(section, "demo")
        config = cls(
            asnet_entry=str(asnet["entry"]), asnet_stage=str(asnet["stage"]),
            baselines=_names(section, "baselines"), references=_names(section, "references"),
            claims_attack=str(claims["attack"]), claims_eps=float(claims["eps"]), min_clips=int(claims["min_clips"]),
            resamples=int(bootstrap["resamples"]), seed=int(bootstrap["seed"]),
        )
        if config.min_clips < 1:
            raise ConfigError("params report.claims.min_clips must be >= 1")
        if config.resamples < 1:
            raise ConfigError("params report.bootstrap.resamples must be >= 1")
        overlap = sorted(set(config.baselines) & set(config.references) | {config.asnet_entry} & set(config.baselines))
        if overlap:
            raise ConfigError(f"params report: {overlap} named in more than one of asnet, baselines, references")
        return config


def check_sections(params: dict) -> None:
    """The other params the report reads: runs (and the model configs they name), corpora, shift set names."""
    from asnet.runs import runs

    for dotted in ("corpora.train", "corpora.test", "shift.codecs", "shift.vocoders", "runs"):
        section = params
        for part in dotted.split("."):
            if not isinstance(section, dict) or part not in section:
                raise ConfigError(f"params has no {dotted}")
            section = section[part]
    try:
        runs(params)
    except (KeyError, TypeError) as error:
        raise ConfigError(f"params runs: cannot resolve {error}") from None


def _mapping(section: dict, name: str, keys: tuple[str, ...]) -> dict:
    value = section[name]
    if not isinstance(value, dict) or set(value) != set(keys):
        raise ConfigError(f"params report.{name} must be a mapping with exactly the keys {list(keys)}")
    return value


def _names(section: dict, name: str) -> tuple[str, ...]:
    value = section[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"params report.{name} must be a list of runs entries")
    return tuple(value)
