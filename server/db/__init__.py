"""Database access: SQLAlchemy Core on SQLite by default (PostgreSQL by URL), with numbered migrations."""

from server.db.database import Database, DatabaseError, open_database, private_data_dir

__all__ = ["Database", "DatabaseError", "open_database", "private_data_dir"]
