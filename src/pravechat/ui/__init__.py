"""The Textual UI: widgets over the core. Only this package imports textual."""
