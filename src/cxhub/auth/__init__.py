"""Staff users, browser sessions, API tokens, roles, permissions and the audit log."""
