from . import pipeline_gate, pipeline_schedule, pipeline_spec, run_worker, sql_scope
