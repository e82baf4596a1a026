"""The settings of `asnet attack`, read and checked up front from params (`attack:`, plus
`base.sample_rate` and `eval.ece_bins`), so that a typo fails before any attack runs and every
key of the section is read by the command that tracks it. That the suites name known attacks is
checked where the attacks are (asnet.attacks.suite.read_config): this module imports no attack."""
from __future__ import annotations

from dataclasses import dataclass


TOP_KEYS = ("seed", "clips", "clip_seconds", "batch_size", "linf_eps", "l2_snr_db", "pgd", "apgd", "cw", "fab",
            "square", "adaptive", "eot", "sanity", "suites", "suite_subsets")
SUBSET_KEYS = ("clips", "clip_seconds", "linf_eps")  # what a suite may set for itself (attack.suite_subsets)


class ConfigError(ValueError):
    """A params value the attack command cannot use (the message names it)."""


@dataclass(frozen=True)
class Sanity:
    reference_eps: float  # the eps of the steps/restarts/noise/black-box checks (one of linf_eps)
    unbounded_steps: int
    unbounded_success: float
    more_steps_factor: int
    more_restarts: int
    noise_ratio: float
    blackbox_margin: float
    tolerance_clips: int


@dataclass(frozen=True)
class AttackConfig:
    seed: int
    clips: int
    clip_seconds: float
    batch_size: int
    linf_eps: tuple[float, ...]
    l2_snr_db: tuple[float, ...]
    pgd: dict
    apgd: dict
    cw: dict
    fab: dict
    square: dict
    adaptive: dict
    eot: dict
    sanity: Sanity
    suites: dict[str, tuple[str, ...]]
    suite_subsets: dict[str, dict]
    sample_rate: int
    ece_bins: int

    @property
    def clip_samples(self) -> int:
        return round(self.clip_seconds * self.sample_rate)

    @classmethod
    def from_params(cls, params: dict) -> "AttackConfig":
        if "attack" not in params:
            raise ConfigError("params has no attack: section")
        a = params["attack"]
        missing, unknown = sorted(set(TOP_KEYS) - set(a)), sorted(set(a) - set(TOP_KEYS))
        if missing or unknown:
            raise ConfigError(f"params attack: missing {missing}, unknown {unknown}")
        sub = {name: _keys(a, name, keys) for name, keys in (
            ("pgd", ("steps", "restarts", "step_fraction")),
            ("apgd", ("steps", "restarts", "rho")),
            ("cw", ("c", "kappa", "steps", "lr")),
            ("fab", ("steps", "restarts", "alpha_max", "eta", "beta")),
            ("square", ("queries", "p_init")),
            ("adaptive", ("steps", "restarts", "margin", "energy_weight", "abstain_weight")),
            ("eot", ("samples", "transforms")),
        )}
        sanity = Sanity(**_keys(a, "sanity", Sanity.__dataclass_fields__))
        config = cls(
            seed=int(a["seed"]), clips=int(a["clips"]), clip_seconds=float(a["clip_seconds"]),
            batch_size=int(a["batch_size"]),
            linf_eps=tuple(sorted(float(e) for e in a["linf_eps"])),
            l2_snr_db=tuple(sorted((float(s) for s in a["l2_snr_db"]), reverse=True)),
            sanity=sanity, suites={name: tuple(attacks) for name, attacks in a["suites"].items()},
            suite_subsets={name: dict(own) for name, own in (a["suite_subsets"] or {}).items()},
            sample_rate=int(params["base"]["sample_rate"]), ece_bins=int(params["eval"]["ece_bins"]),
            **sub,
        )
        for suite, own in config.suite_subsets.items():
            if suite not in config.suites or not isinstance(own, dict) or not set(own) <= set(SUBSET_KEYS):
                raise ConfigError(f"attack.suite_subsets.{suite}: must name a suite of attack.suites and set only "
                                  f"{list(SUBSET_KEYS)}")
        if sanity.reference_eps not in config.linf_eps:
            raise ConfigError(f"attack.sanity.reference_eps {sanity.reference_eps} is not one of attack.linf_eps")
        if config.clips < 2 or config.batch_size < 1 or config.clip_samples < 1:
            raise ConfigError("attack.clips must be >= 2, attack.batch_size >= 1 and attack.clip_seconds > 0")
        return config

    def for_suite(self, suite: str) -> "AttackConfig":
        """The settings suite `suite` runs with: its attack.suite_subsets entry (more clips, longer
        clips, its own L∞ budgets) over the shared ones."""
        import dataclasses

        own = self.suite_subsets.get(suite, {})
        changes = {k: (tuple(sorted(float(e) for e in v)) if k == "linf_eps" else type(getattr(self, k))(v))
                   for k, v in own.items()}
        config = dataclasses.replace(self, **changes)
        if config.clips < 2 or config.clip_samples < 1 or not config.linf_eps:
            raise ConfigError(f"attack.suite_subsets.{suite}: clips must be >= 2, clip_seconds > 0, linf_eps non-empty")
        return config


def _keys(section: dict, name: str, keys) -> dict:
    if name not in section:
        raise ConfigError(f"params attack.{name} is missing")
    given = section[name]
    missing, extra = sorted(set(keys) - set(given)), sorted(set(given) - set(keys))
    if missing or extra:
        raise ConfigError(f"params attack.{name}: missing {missing}, unknown {extra}")
    return {k: given[k] for k in keys}
