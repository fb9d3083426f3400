# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from .services.agent_runtime import install_schema


def post_init_hook(env):
    install_schema(env)
