"""Desired state (from the catalog) and live state (from the registry), in one shape."""
