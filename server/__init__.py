"""Casework's JSON server: serves the browser workspace (web/) and its JSON API."""

__version__ = "0.1.0"
