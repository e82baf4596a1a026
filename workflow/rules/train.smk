# Checkpoints: train (per run and curriculum stage; fit: models without training curves), import (published weights).

if "train" in REGISTRY:

    rule train:
        input:
            unpack(REGISTRY.inputs("train")),
        output:
            *outputs("train"),
        params:
            cmd=REGISTRY.command("train"),
            tracked=REGISTRY.tracked("train"),
        log:
            REGISTRY.log("train"),
        wildcard_constraints:
            **REGISTRY.constraints("train"),
        # first: each run's curriculum is a chain of stages, the longest path of the DAG; scoring jobs fill the gaps
        priority: 2
        threads: REGISTRY.threads("train")
        resources:
            **REGISTRY.resources("train"),
        conda:
            ENV
        shell:
            SHELL

if "fit" in REGISTRY:

    rule fit:
        input:
            unpack(REGISTRY.inputs("fit")),
        output:
            *outputs("fit"),
        params:
            cmd=REGISTRY.command("fit"),
            tracked=REGISTRY.tracked("fit"),
        log:
            REGISTRY.log("fit"),
        wildcard_constraints:
            **REGISTRY.constraints("fit"),
        threads: REGISTRY.threads("fit")
        resources:
            **REGISTRY.resources("fit"),
        conda:
            ENV
        shell:
            SHELL

if "import" in REGISTRY:

    rule import:
        input:
            unpack(REGISTRY.inputs("import")),
        output:
            *outputs("import"),
        params:
            cmd=REGISTRY.command("import"),
            tracked=REGISTRY.tracked("import"),
        log:
            REGISTRY.log("import"),
        wildcard_constraints:
            **REGISTRY.constraints("import"),
        threads: REGISTRY.threads("import")
        resources:
            **REGISTRY.resources("import"),
        conda:
            ENV
        shell:
            SHELL
