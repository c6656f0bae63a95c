"""The warehouse: DuckDB file by default, PostgreSQL on a server; raw and meta schemas."""
