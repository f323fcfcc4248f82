"""Settings and the canonical record schema: the parts everything else may import."""

from trendstream.core.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
