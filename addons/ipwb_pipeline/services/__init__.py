from . import pipeline_schedule, pipeline_spec, run_worker
