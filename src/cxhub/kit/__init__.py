"""Small generic building blocks with no domain logic."""
