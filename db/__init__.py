"""Database layer of PST Pilot: schema (models), engine and migrations."""
