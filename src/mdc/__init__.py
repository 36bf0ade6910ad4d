"""Market Data Collector: own a complete, verified archive of market data."""

__version__ = "0.1.0"
