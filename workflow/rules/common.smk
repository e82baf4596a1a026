# Reads the stage registry (light imports only: this file is parsed inside every cluster job).
import json

from asnet.pipeline import is_dir, param_value, stages

STAGES = stages(config)
ALL_OUTPUTS = sorted({path for stage in STAGES for path in stage.all_outputs})


def outputs_of(stage):
    return [directory(path) if is_dir(path) else path for path in stage.all_outputs]


def tracked_params(stage):
    """The params DVC tracks for this stage, as one string: a change reruns the rule."""
    return json.dumps({key: param_value(config, key) for key in stage.params}, sort_keys=True)


def resources_of(stage):
    wanted = {"mem_mb": stage.mem_mb, "runtime": stage.runtime_min}
    if stage.gpu:
        wanted["gpu"] = stage.gpu
    return wanted
