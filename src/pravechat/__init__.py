"""pravechat: a terminal chat on Pravega streams."""

__version__ = "0.2.0"
