# Testing a checkpoint: score and evaluate per (checkpoint, test set) (`score` for its eval split, which
# also writes the dev metrics; `score_set` for a shift set or another corpus), attack per checkpoint.

if "score" in REGISTRY:

    rule score:
        input:
            unpack(REGISTRY.inputs("score")),
        output:
            *outputs("score"),
        params:
            cmd=REGISTRY.command("score"),
            tracked=REGISTRY.tracked("score"),
        log:
            REGISTRY.log("score"),
        wildcard_constraints:
            **REGISTRY.constraints("score"),
        threads: REGISTRY.threads("score")
        resources:
            **REGISTRY.resources("score"),
        conda:
            ENV
        shell:
            SHELL

if "score_set" in REGISTRY:

    rule score_set:
        input:
            unpack(REGISTRY.inputs("score_set")),
        output:
            *outputs("score_set"),
        params:
            cmd=REGISTRY.command("score_set"),
            tracked=REGISTRY.tracked("score_set"),
        log:
            REGISTRY.log("score_set"),
        wildcard_constraints:
            **REGISTRY.constraints("score_set"),
        threads: REGISTRY.threads("score_set")
        resources:
            **REGISTRY.resources("score_set"),
        conda:
            ENV
        shell:
            SHELL

if "attack" in REGISTRY:

    rule attack:
        input:
            unpack(REGISTRY.inputs("attack")),
        output:
            *outputs("attack"),
        params:
            cmd=REGISTRY.command("attack"),
            tracked=REGISTRY.tracked("attack"),
        log:
            REGISTRY.log("attack"),
        wildcard_constraints:
            **REGISTRY.constraints("attack"),
        priority: 1
        threads: REGISTRY.threads("attack")
        resources:
            **REGISTRY.resources("attack"),
        conda:
            ENV
        shell:
            SHELL

if "claim_attack" in REGISTRY:

    rule claim_attack:
        input:
            unpack(REGISTRY.inputs("claim_attack")),
        output:
            *outputs("claim_attack"),
        params:
            cmd=REGISTRY.command("claim_attack"),
            tracked=REGISTRY.tracked("claim_attack"),
        log:
            REGISTRY.log("claim_attack"),
        wildcard_constraints:
            **REGISTRY.constraints("claim_attack"),
        priority: 1
        threads: REGISTRY.threads("claim_attack")
        resources:
            **REGISTRY.resources("claim_attack"),
        conda:
            ENV
        shell:
            SHELL
