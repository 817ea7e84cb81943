"""Surveys, QA scorecards, calibration and customer-driven coaching."""
