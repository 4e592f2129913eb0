"""Casework's composition root (PyScript's entry script).

Builds the browser edge and hands control to it. Nothing imports this module, so no import runs back up; all
logic lives in the packages shipped in app.zip (apm, casework, browser, components).
"""

import js

js.window.caseworkBoot.mark("python")  # boot timeline (bench/boot.py): our first line of Python runs

from browser.boot import start  # noqa: E402

start()
