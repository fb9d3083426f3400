"""dbt: generate a project from Guardian checks and run it programmatically (dbt-core).

* :mod:`ipwb.dbt.project` — ``dbt_project.yml``, ``profiles.yml`` (credentials from
  environment variables only), models, and ``schema.yml`` tests generated from
  :class:`~ipwb.guardian.checks.CheckSpec` objects;
* :mod:`ipwb.dbt.runner` — ``dbtRunner`` invocations with the credentials in the process
  environment for the duration of the call, no anonymous usage statistics, results parsed
  into :class:`~ipwb.dbt.runner.DbtNodeResult` objects;
* :mod:`ipwb.dbt.lineage` — table and column lineage edges from a run's ``manifest.json``.
"""

from ipwb.dbt.lineage import load_manifest, manifest_lineage
from ipwb.dbt.project import DbtModel, DbtProject, generate_project, test_name
from ipwb.dbt.runner import DbtNodeResult, DbtRun, run_dbt

__all__ = [
    "DbtModel",
    "DbtNodeResult",
    "DbtProject",
    "DbtRun",
    "generate_project",
    "load_manifest",
    "manifest_lineage",
    "run_dbt",
    "test_name",
]
