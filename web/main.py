"""PyScript's entry script: hands over to the composition root, ``app`` (web/py/app).

Nothing imports this module. All logic lives in the packages shipped in app.zip (app, components, browser,
casework, apm; each imports only the ones after it).
"""

import js

js.window.caseworkBoot.mark("python")  # boot timeline (bench/boot.py): our first line of Python runs

from app.boot import start  # noqa: E402

start()
