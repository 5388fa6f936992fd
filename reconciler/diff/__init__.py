"""Diff stage: desired x live -> ordered changes (pure functions)."""
