"""pravechat's benchmarks (``python -m benchmarks``)."""
