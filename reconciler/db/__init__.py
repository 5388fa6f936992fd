"""Registry database: tables, engine set-up, migrations."""
