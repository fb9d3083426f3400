"""Sub-commands of the ``ipwb`` CLI that belong to no single feature package."""
