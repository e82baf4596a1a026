"""Print Snakemake's job graph of the workflow in the current directory as JSON:
[[outputs of a job, [outputs of each job it depends on]], ...] (what `--dag` draws, with each job's
full outputs instead of labels). Run in a subprocess: Snakemake configures global logging."""
import json
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.enums import Quietness
from snakemake.settings.types import DAGSettings, OutputSettings, ResourceSettings


def job_graph(targets: list[str]) -> list:
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(resource_settings=ResourceSettings(), snakefile=Path("workflow/Snakefile"),
                                    workdir=Path.cwd())
        dag_api = workflow_api.dag(dag_settings=DAGSettings(forceall=True, targets=set(targets)))
        workflow = dag_api.workflow_api._workflow  # the API prints the DAG; the graph itself is internal
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        dag = workflow.dag
        return [[sorted(map(str, job.output)), [sorted(map(str, dep.output)) for dep in dag.dependencies[job]]]
                for job in dag.jobs]


if __name__ == "__main__":
    json.dump(job_graph(sys.argv[1:]), sys.stdout)
