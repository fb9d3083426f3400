from . import test_canvas_tour, test_pipeline, test_run, test_spec
