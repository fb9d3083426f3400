from . import test_llm_model
from . import test_genie_ask
from . import test_agent
from . import test_generation
from . import test_tour
