from . import (
    test_canvas_tour,
    test_pipeline,
    test_pipeline_gate,
    test_quality_gate_layer,
    test_rpc_fuzz,
    test_run,
    test_run_stats,
    test_spec,
)
