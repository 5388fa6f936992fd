"""What the reconciler knows about each provider (``table``), how a model is called through
litellm (``mapping``), which models a connection test calls (``targets``) and the live tests
(``connection``).

Nothing imported by this package's ``__init__``, ``table`` or ``mapping`` loads litellm: other
commands may use them without paying litellm's multi-second import.
"""
