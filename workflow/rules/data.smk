# Corpora and shift sets: download, prepare, cache (per corpus), shift (per condition).

if "download" in REGISTRY:

    rule download:
        input:
            unpack(REGISTRY.inputs("download")),
        output:
            *outputs("download"),
        params:
            cmd=REGISTRY.command("download"),
            tracked=REGISTRY.tracked("download"),
        log:
            REGISTRY.log("download"),
        wildcard_constraints:
            **REGISTRY.constraints("download"),
        threads: REGISTRY.threads("download")
        resources:
            **REGISTRY.resources("download"),
        conda:
            ENV
        shell:
            SHELL

if "prepare_demo" in REGISTRY:

    rule prepare_demo:
        input:
            unpack(REGISTRY.inputs("prepare_demo")),
        output:
            *outputs("prepare_demo"),
        params:
            cmd=REGISTRY.command("prepare_demo"),
            tracked=REGISTRY.tracked("prepare_demo"),
        log:
            REGISTRY.log("prepare_demo"),
        wildcard_constraints:
            **REGISTRY.constraints("prepare_demo"),
        threads: REGISTRY.threads("prepare_demo")
        resources:
            **REGISTRY.resources("prepare_demo"),
        conda:
            ENV
        shell:
            SHELL

if "prepare" in REGISTRY:

    rule prepare:
        input:
            unpack(REGISTRY.inputs("prepare")),
        output:
            *outputs("prepare"),
        params:
            cmd=REGISTRY.command("prepare"),
            tracked=REGISTRY.tracked("prepare"),
        log:
            REGISTRY.log("prepare"),
        wildcard_constraints:
            **REGISTRY.constraints("prepare"),
        threads: REGISTRY.threads("prepare")
        resources:
            **REGISTRY.resources("prepare"),
        conda:
            ENV
        shell:
            SHELL

if "cache" in REGISTRY:

    rule cache:
        input:
            unpack(REGISTRY.inputs("cache")),
        output:
            *outputs("cache"),
        params:
            cmd=REGISTRY.command("cache"),
            tracked=REGISTRY.tracked("cache"),
        log:
            REGISTRY.log("cache"),
        wildcard_constraints:
            **REGISTRY.constraints("cache"),
        threads: REGISTRY.threads("cache")
        resources:
            **REGISTRY.resources("cache"),
        conda:
            ENV
        shell:
            SHELL

if "shift" in REGISTRY:

    rule shift:
        input:
            unpack(REGISTRY.inputs("shift")),
        output:
            *outputs("shift"),
        params:
            cmd=REGISTRY.command("shift"),
            tracked=REGISTRY.tracked("shift"),
        log:
            REGISTRY.log("shift"),
        wildcard_constraints:
            **REGISTRY.constraints("shift"),
        threads: REGISTRY.threads("shift")
        resources:
            **REGISTRY.resources("shift"),
        conda:
            ENV
        shell:
            SHELL
