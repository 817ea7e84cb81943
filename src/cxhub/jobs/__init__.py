"""Background jobs kept as rows in the app database."""
