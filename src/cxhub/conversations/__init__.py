"""Interactions from every channel, threaded into conversations."""
