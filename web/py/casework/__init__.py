"""Casework application logic beyond tabs (pure: no js/pyodide import; unit-tested under CPython)."""
