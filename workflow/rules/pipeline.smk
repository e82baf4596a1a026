# One rule per registry stage; the shell command is the DVC stage's `cmd`, verbatim.
for stage in STAGES:

    rule:
        name:
            stage.rule_name
        input:
            code=stage.code,
            data=stage.deps,
        output:
            outputs_of(stage),
        params:
            tracked=tracked_params(stage),
        log:
            f"logs/{stage.rule_name}.log",
        threads: stage.threads
        resources:
            **resources_of(stage),
        conda:
            "../envs/asnet.yaml"
        shell:
            f"({stage.cmd}) > {{log}} 2>&1"
