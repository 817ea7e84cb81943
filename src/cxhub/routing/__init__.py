"""Queues, routing rules and assignment."""
