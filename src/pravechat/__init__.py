"""pravechat: a terminal chat on Pravega streams."""

__version__ = "0.4.0"
