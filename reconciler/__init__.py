"""GitOps reconciler for an LLM model registry."""

__version__ = "0.1.0"
