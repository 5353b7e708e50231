"""Runs a local Pravega server for users without Docker or a cluster. Never imports textual."""
