"""The data layer: every query the server runs. Routes and the CLI call these functions."""
