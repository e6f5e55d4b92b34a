"""liveblog: archive news live blogs."""

__version__ = "0.1.0"
