"""Sanity checks of an attack evaluation (Carlini et al., 2019, "On evaluating adversarial
robustness"; AutoAttack's flags), computed from the summary rows of one run.

- budget_monotone: robust accuracy never rises with the budget (eps up, SNR down), per attack
  that optimises (the random-noise control draws afresh at each eps and may well be non-monotone:
  measured, LCNN robust accuracy under noise 0.44 at eps 0.001 and 0.63 at 0.002).
- unbounded: PGD with the whole waveform range as budget (eps doubling from reference_eps up to
  1, asnet.attacks.pgd.pgd_ladder) decides >= unbounded_success of the clips wrongly (anything
  can be turned into anything; less means the attack is broken or the gradient masked).
- more_steps, more_restarts: a stronger PGD (more_steps_factor x steps; more_restarts restarts)
  at reference_eps is never weaker than the grid's PGD there.
- noise_weaker: at every eps, random ±eps noise succeeds on at most noise_ratio x PGD's success
  rate (if noise does about as well, PGD is not using its gradient). Where PGD flips every clip
  (up to tolerance_clips) it cannot be shown weak: noise's success there measures how fragile the
  model is to noise, and is recorded, not judged (measured: ASNet base, PGD 100 % and noise 64 % at
  eps 0.004).
- blackbox_weaker: the black-box Square attack does not beat the best white-box L∞ attack at
  the same eps by more than blackbox_margin (if it does, the gradients are masked).

Runs are seeded but random, so a rise by up to tolerance_clips clips is read as noise, not as
a violation. A check whose attacks are not in the suite is "skipped", never passed silently.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from asnet.attacks.config import Sanity

NOISE_CONTROLS = {"noise_linf"}  # random perturbations: controls of the noise check, not optimising attacks


@dataclass
class Check:
    name: str
    status: str  # pass | fail | skipped
    detail: str
    numbers: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _by(rows: list[dict], attack: str) -> dict[float, dict]:
    return {row["budget"]: row for row in rows if row["attack"] == attack}


def _verdict(name: str, violations: list[str], numbers: dict, ok: str) -> Check:
    if violations:
        return Check(name, "fail", "; ".join(violations), numbers)
    return Check(name, "pass", ok, numbers)


def _slack(rows: list[dict], tolerance_clips: int) -> float:
    """tolerance_clips as a rate over the subset (1e-9 absorbs float rounding of equal rates)."""
    return tolerance_clips / max(rows[0]["clips"], 1) + 1e-9 if rows else 0.0


def budget_monotone(rows: list[dict], sanity: Sanity) -> Check:
    tol = _slack(rows, sanity.tolerance_clips)
    numbers, violations = {}, []
    for attack in sorted({r["attack"] for r in rows} - NOISE_CONTROLS):
        runs = _by(rows, attack)
        if len(runs) < 2:
            continue
        # weakest budget first: small eps, or high SNR
        order = sorted(runs, reverse=runs[next(iter(runs))]["norm"] == "l2")
        accuracy = [runs[b]["robust_accuracy"] for b in order]
        numbers[attack] = [[b, a] for b, a in zip(order, accuracy)]
        for (b0, a0), (b1, a1) in zip(zip(order, accuracy), zip(order[1:], accuracy[1:])):
            if a1 > a0 + tol:
                violations.append(f"{attack}: robust accuracy rises from {a0:.3f} at {b0:g} to {a1:.3f} at {b1:g}")
    if not numbers:
        return Check("budget_monotone", "skipped", "no attack ran at two or more budgets")
    return _verdict("budget_monotone", violations, numbers, "robust accuracy never rises with the budget")


def unbounded(rows: list[dict], sanity: Sanity) -> Check:
    runs = _by(rows, "pgd_linf_unbounded")
    if not runs:
        return Check("unbounded", "skipped", "pgd_linf_unbounded not in the suite")
    (row,) = runs.values()
    error = 1.0 - row["robust_accuracy"]
    numbers = {"wrong_under_attack": error, "required": sanity.unbounded_success}
    violations = [] if error >= sanity.unbounded_success else [
        f"unbounded PGD decides only {100 * error:.1f} % of clips wrongly (needs >= {100 * sanity.unbounded_success:g} %)"]
    return _verdict("unbounded", violations, numbers, f"unbounded PGD decides {100 * error:.1f} % of clips wrongly")


def _stronger(name: str, attack: str, rows: list[dict], sanity: Sanity) -> Check:
    base, strong = _by(rows, "pgd_linf").get(sanity.reference_eps), _by(rows, attack).get(sanity.reference_eps)
    if base is None or strong is None:
        return Check(name, "skipped", f"needs pgd_linf and {attack} at eps {sanity.reference_eps:g}")
    numbers = {"eps": sanity.reference_eps, "pgd_linf": base["robust_accuracy"], attack: strong["robust_accuracy"]}
    weaker = strong["robust_accuracy"] > base["robust_accuracy"] + _slack(rows, sanity.tolerance_clips)
    violations = [f"{attack} leaves robust accuracy {strong['robust_accuracy']:.3f} > pgd_linf's "
                  f"{base['robust_accuracy']:.3f} at eps {sanity.reference_eps:g}"] if weaker else []
    return _verdict(name, violations, numbers, f"{attack} is at least as strong as pgd_linf")


def more_steps(rows: list[dict], sanity: Sanity) -> Check:
    return _stronger("more_steps", "pgd_linf_more_steps", rows, sanity)


def more_restarts(rows: list[dict], sanity: Sanity) -> Check:
    return _stronger("more_restarts", "pgd_linf_more_restarts", rows, sanity)


def _success(row: dict) -> float:
    """Success over the clips decided correctly when clean (0 when there are none)."""
    return row["success_rate"]["all"] or 0.0


def noise_weaker(rows: list[dict], sanity: Sanity) -> Check:
    pgd_runs, noise_runs = _by(rows, "pgd_linf"), _by(rows, "noise_linf")
    common = sorted(set(pgd_runs) & set(noise_runs))
    if not common:
        return Check("noise_weaker", "skipped", "needs pgd_linf and noise_linf at a common eps")
    numbers, violations = {}, []
    for eps in common:
        pgd_rate, noise_rate = _success(pgd_runs[eps]), _success(noise_runs[eps])
        numbers[f"{eps:g}"] = {"pgd_linf": pgd_rate, "noise_linf": noise_rate}
        slack = sanity.tolerance_clips / max(noise_runs[eps]["clean_correct"], 1) + 1e-9
        saturated = pgd_rate >= 1.0 - slack
        numbers[f"{eps:g}"]["pgd_saturated"] = saturated
        if not saturated and noise_rate > sanity.noise_ratio * pgd_rate + slack:
            violations.append(f"at eps {eps:g} random noise succeeds on {100 * noise_rate:.1f} % vs PGD's "
                              f"{100 * pgd_rate:.1f} % (allowed: {sanity.noise_ratio:g} x PGD)")
    return _verdict("noise_weaker", violations, numbers, "random noise is far weaker than PGD at every eps")


def blackbox_weaker(rows: list[dict], sanity: Sanity) -> Check:
    black = [r for r in rows if r["knowledge"] == "black" and r["norm"] == "linf"]
    white = [r for r in rows if r["knowledge"] == "white" and r["goal"] == "flip" and r["norm"] == "linf"]
    numbers, violations = {}, []
    for row in black:
        rivals = [r for r in white if r["budget"] == row["budget"]]
        if not rivals:
            continue
        best = max(rivals, key=_success)
        numbers[row["name"]] = {"success": _success(row), "best_white_box": best["name"], "white_box_success": _success(best)}
        if _success(row) > _success(best) + sanity.blackbox_margin:
            violations.append(f"{row['name']} succeeds on {100 * _success(row):.1f} % vs the best white-box "
                              f"{best['name']} {100 * _success(best):.1f}%: gradients look masked")
    if not numbers:
        return Check("blackbox_weaker", "skipped", "needs a black-box and a white-box L∞ attack at a common eps")
    return _verdict("blackbox_weaker", violations, numbers, "no black-box attack beats the white-box ones")


CHECKS = (budget_monotone, unbounded, more_steps, more_restarts, noise_weaker, blackbox_weaker)


def run_checks(rows: list[dict], sanity: Sanity) -> list[Check]:
    return [check(rows, sanity) for check in CHECKS]
