from . import agent_runtime, agent_worker, gateway, warehouse
