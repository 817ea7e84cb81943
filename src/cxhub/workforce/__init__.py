"""Organisations in-house and partner, their sites, teams and agents, and the brands they serve."""
