"""InsightPulse Workbench engine.

Everything that can be reasoned about without Odoo lives in this package, so it can be
tested with plain pytest and used headless from the ``ipwb`` command line. Nothing below
``ipwb`` imports ``odoo``; the addons in ``addons/ipwb_*`` call into it instead.
"""

__version__ = "18.0.1.0.0"
