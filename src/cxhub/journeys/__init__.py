"""The customer lifecycle: stages, touchpoints, their sourcing and how conversations are classified."""
