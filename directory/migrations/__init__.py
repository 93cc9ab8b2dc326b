"""Alembic migrations of the directory schema (``versions/``); run through ``directory.schema``."""
