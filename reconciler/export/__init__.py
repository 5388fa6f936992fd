"""Export: the live registry written out as a catalog directory (for adopting a registry)."""
