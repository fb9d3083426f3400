from . import test_pipeline
