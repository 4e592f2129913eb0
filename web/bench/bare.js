// Baseline page for bench/boot.py: the least a Pyodide page can do. Ready = one line of Python has run.
import { loadPyodide } from "../vendor/pyodide/314.0.7/pyodide.mjs";

const pyodide = await loadPyodide({ indexURL: new URL("../vendor/pyodide/314.0.7/", import.meta.url).href });
const version = pyodide.runPython("import sys; sys.version.split()[0]");
window.caseworkBoot = { readyAt: performance.now() };
document.body.dataset.python = version;
document.body.dataset.ready = "1";
