"""Customers and their identities across channels, sellers and partners."""
