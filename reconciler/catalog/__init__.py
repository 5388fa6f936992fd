"""Catalog stage: YAML files -> validated, typed catalog objects."""
