# The code digests DVC reads, and the two reports: the whole paper grid and the demo's.

if "code_digests" in REGISTRY:

    rule code_digests:
        input:
            unpack(REGISTRY.inputs("code_digests")),
        output:
            *outputs("code_digests"),
        params:
            cmd=REGISTRY.command("code_digests"),
            tracked=REGISTRY.tracked("code_digests"),
        log:
            REGISTRY.log("code_digests"),
        wildcard_constraints:
            **REGISTRY.constraints("code_digests"),
        threads: REGISTRY.threads("code_digests")
        resources:
            **REGISTRY.resources("code_digests"),
        conda:
            ENV
        shell:
            SHELL

if "report" in REGISTRY:

    rule report:
        input:
            unpack(REGISTRY.inputs("report")),
        output:
            *outputs("report"),
        params:
            cmd=REGISTRY.command("report"),
            tracked=REGISTRY.tracked("report"),
        log:
            REGISTRY.log("report"),
        wildcard_constraints:
            **REGISTRY.constraints("report"),
        threads: REGISTRY.threads("report")
        resources:
            **REGISTRY.resources("report"),
        conda:
            ENV
        shell:
            SHELL

if "demo_report" in REGISTRY:

    rule demo_report:
        input:
            unpack(REGISTRY.inputs("demo_report")),
        output:
            *outputs("demo_report"),
        params:
            cmd=REGISTRY.command("demo_report"),
            tracked=REGISTRY.tracked("demo_report"),
        log:
            REGISTRY.log("demo_report"),
        wildcard_constraints:
            **REGISTRY.constraints("demo_report"),
        threads: REGISTRY.threads("demo_report")
        resources:
            **REGISTRY.resources("demo_report"),
        conda:
            ENV
        shell:
            SHELL
