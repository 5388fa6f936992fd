"""How each provider is reached through litellm (mapping) and live connection tests.

Nothing imported by this package's ``__init__`` or by ``mapping`` loads litellm: other commands
may use the mapping without paying litellm's multi-second import.
"""
