"""Advisory checks of the catalog against litellm's model knowledge base (offline)."""
