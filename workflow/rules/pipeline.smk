# One rule per registry stage; the shell command is the DVC stage's `cmd`, verbatim. It travels
# through `params`: the shell directive is evaluated when the job runs, when the loop variable
# names the last stage.
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
            cmd=stage.cmd,
            tracked=tracked_params(stage),
        log:
            f"logs/{stage.rule_name}.log",
        threads: stage.threads
        resources:
            **resources_of(stage),
        conda:
            "../envs/asnet.yaml"
        shell:
            "({params.cmd}) > {log} 2>&1"
