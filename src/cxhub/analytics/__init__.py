"""Metric definitions, rollups, reports and dashboards: one definition per metric for every provider."""
