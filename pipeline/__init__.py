"""ikou's orchestration: plan loading, stages, runs and the ``ikou`` command line."""

__version__ = "0.1.0"
