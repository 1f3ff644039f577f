"""Persistence: SQLAlchemy models, the queries over them, and Alembic migrations."""
