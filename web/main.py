"""Casework's composition root (PyScript's entry script).

Builds the browser edge and hands control to it. Nothing imports this module, so no import runs back up; all
logic lives in the packages shipped in app.zip (apm, casework, browser, components).
"""

from browser.boot import start

start()
