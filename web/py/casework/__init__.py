"""Application logic beyond tabs, pure Python (no ``js``/``pyodide`` imports): runs under CPython and in the page."""
