"""What workflow/rules/*.smk read: one wildcard rule per kind of stage (a family, or families
with the same outputs), whose command, inputs, params and resources come from the registry stage
its wildcards name. `snakemake results/scores/asnet_s0/adv/eval.tsv` finds the rule `score` by
its output pattern, and `--set-resources score:mem_mb=...` sets it for every scoring job.

The rules take the source files themselves as inputs (Snakemake keeps no lock to compare a
digest with); the code_digests rule runs only so that `dvc commit` finds its output.
"""
from __future__ import annotations

import json
import re
from functools import cached_property

from asnet.pipeline.registry import Stage, is_dir, param_value, stages

WILDCARD = re.compile(r"\{(\w+)\}")


class Rules:
    """The registry's stages grouped by Snakemake rule (`rule_name`), addressed by wildcards."""

    def __init__(self, params: dict):
        self.params = params
        self.by_rule: dict[str, dict[tuple, Stage]] = {}
        for stage in stages(params):
            self.by_rule.setdefault(stage.rule_name, {})[tuple(v for _, v in stage.wildcards)] = stage

    def __contains__(self, rule: str) -> bool:
        return rule in self.by_rule

    @cached_property
    def all_outputs(self) -> list[str]:
        return sorted({o for members in self.by_rule.values() for s in members.values() for o in s.all_outputs})

    def stage(self, rule: str, wildcards) -> Stage:
        members = self.by_rule[rule]
        first = next(iter(members.values()))
        return members[tuple(wildcards[name] for name, _ in first.wildcards)]

    def outputs(self, rule: str) -> list[str]:
        """The rule's output patterns, checked against every stage of the rule."""
        members = list(self.by_rule[rule].values())
        patterns = [pattern_of(path, dict(members[0].wildcards)) for path in members[0].all_outputs]
        for stage in members:
            if [p.format(**dict(stage.wildcards)) for p in patterns] != list(stage.all_outputs):
                raise ValueError(f"rule {rule}: {stage.name}'s outputs do not follow {patterns}")
        return patterns

    def constraints(self, rule: str) -> dict[str, str]:
        """Each wildcard matches exactly the values the registry has for it (no two rules overlap)."""
        values: dict[str, set[str]] = {}
        for stage in self.by_rule[rule].values():
            for name, value in stage.wildcards:
                values.setdefault(name, set()).add(value)
        return {name: "|".join(re.escape(v) for v in sorted(vs, key=lambda v: (-len(v), v))) for name, vs in values.items()}

    def log(self, rule: str) -> str:
        names = [name for name, _ in next(iter(self.by_rule[rule].values())).wildcards]
        return f"logs/{rule}/" + ("/".join(f"{{{n}}}" for n in names) if names else rule) + ".log"

    # ------------------------------------------------------------ per job (functions of the wildcards)
    def data_inputs(self, stage: Stage) -> list[str]:
        """The stage's deps, a folder holding other stages' outputs (the report's results/metrics/<run>)
        as those outputs: DVC reads such a dep as a dependency on every stage inside, Snakemake needs the files."""
        inputs = []
        for dep in stage.deps:
            inside = [o for o in self.all_outputs if o.startswith(dep + "/")]
            inputs += inside if inside and dep not in self.all_outputs else [dep]
        return inputs

    def inputs(self, rule: str):
        def inputs(wildcards) -> dict:
            stage = self.stage(rule, wildcards)
            return {"code": list(stage.code), "data": self.data_inputs(stage)}
        return inputs

    def command(self, rule: str):
        return lambda wildcards: self.stage(rule, wildcards).cmd

    def tracked(self, rule: str):
        """The params the stage reads, as one string: a change reruns the job (--rerun-triggers params)."""
        def tracked(wildcards) -> str:
            stage = self.stage(rule, wildcards)
            return json.dumps({key: param_value(self.params, key) for key in stage.params}, sort_keys=True)
        return tracked

    def threads(self, rule: str):
        return lambda wildcards: self.stage(rule, wildcards).threads

    def resources(self, rule: str) -> dict:
        """Callables, so that --set-resources <rule>:<name>=... overrides them for every job of the rule."""
        wanted = {"mem_mb": lambda wildcards: self.stage(rule, wildcards).mem_mb,
                  "runtime": lambda wildcards: self.stage(rule, wildcards).runtime_min}
        if any(s.gpu for s in self.by_rule[rule].values()):
            wanted["gpu"] = lambda wildcards: self.stage(rule, wildcards).gpu
        return wanted


def pattern_of(path: str, wildcards: dict[str, str]) -> str:
    """`path` with each wildcard value (a whole path part, or a file name's stem) as `{name}`."""
    for name, value in sorted(wildcards.items(), key=lambda w: -len(w[1])):
        path = re.sub(rf"(?<![^/]){re.escape(value)}(?=/|\.|$)", "{%s}" % name, path)
    return path


def directories(patterns: list[str]) -> list:
    """Directory outputs wrapped as Snakemake wants them (`directory` is only defined in a Snakefile)."""
    return [(p, is_dir(WILDCARD.sub("x", p))) for p in patterns]
