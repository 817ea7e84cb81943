"""Web chat: the embeddable widget's endpoints, signed visitor passes and live event streams."""
