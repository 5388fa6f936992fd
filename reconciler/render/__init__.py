"""Renderers turn collected results (diagnostics, plans) into text for people and machines."""
