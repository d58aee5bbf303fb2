"""Entry point named by workspace.yaml (`python_module: jobsched.definitions`)."""

from jobsched.defs.definitions import defs

__all__ = ["defs"]
