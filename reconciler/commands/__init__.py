"""One function per subcommand: plain arguments in, an exit code out. No click here."""
