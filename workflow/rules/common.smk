# Reads the stage registry (light imports only: this file is parsed inside every cluster job).
# Each rule of rules/*.smk is one kind of stage; its jobs take their command, inputs, params and
# resources from the registry stage their wildcards name (asnet/pipeline/snakemake.py).
from asnet.pipeline.snakemake import Rules, directories

REGISTRY = Rules(config)
ALL_OUTPUTS = REGISTRY.all_outputs
ENV = "../envs/asnet.yaml"
SHELL = "({params.cmd}) > {log} 2>&1"


def outputs(rule):
    return [directory(path) if is_directory else path for path, is_directory in directories(REGISTRY.outputs(rule))]
