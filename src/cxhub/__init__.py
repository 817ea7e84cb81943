"""cxhub: the Customer Experience Hub."""

__version__ = "0.1.0"
