"""EMIS statistics platform: register exports in; indicators, forms and quality monitoring out."""

__version__ = "0.1.0"
