"""The browser edge: the only package that imports ``js``, ``pyodide`` or ``pyscript``. Keep it thin."""
