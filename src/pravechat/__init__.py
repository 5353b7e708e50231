"""pravechat: a terminal chat on Pravega streams."""

__version__ = "0.6.0"
