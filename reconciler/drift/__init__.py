"""The drift stage: a plan against the registry, attributed to where each difference came from."""
