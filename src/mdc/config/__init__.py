"""Configuration: schema (``schema.py``) and loading with env overrides (``load.py``)."""

from mdc.config.load import ConfigError, load_config, provider_section, to_dict
from mdc.config.schema import Config, SymbolConfig

__all__ = ["Config", "ConfigError", "SymbolConfig", "load_config", "provider_section", "to_dict"]
