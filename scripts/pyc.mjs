// Setup step: compile our browser-side Python to bytecode with the browser's own interpreter (Pyodide in Node),
// so the page imports .pyc files instead of compiling every module on every boot (measured: compiling our
// packages is most of their import time in the browser).
//
// Output: web/vendor/pyc/<sha256 of the source>.pyc (unchecked-hash pycs, PEP 552) and manifest.json with the
// interpreter's cache tag. The server (server/appzip.py) puts a pyc into app.zip only next to the exact source it
// was compiled from, so an edited module is simply compiled in the browser until this step runs again.
// Usage: node scripts/pyc.mjs   (from the repository root; run by scripts/setup)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadPyodide } from "pyodide";

const ROOT = new URL("..", import.meta.url).pathname;
const SOURCE_ROOT = join(ROOT, "web", "py");
const PACKAGES = ["apm", "casework", "browser", "components", "app"];
const OUT = join(ROOT, "web", "vendor", "pyc");
const RUNTIME_HOME = "/home/pyodide"; // where PyScript unpacks app.zip: tracebacks name these paths

function sources(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "__pycache__") return [];
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".py") ? [path] : [];
  });
}

const files = [...PACKAGES.flatMap((p) => sources(join(SOURCE_ROOT, p))), join(ROOT, "web", "main.py")];
const wanted = new Map(files.map((file) => {
  const source = readFileSync(file);
  const rel = file.startsWith(SOURCE_ROOT) ? relative(SOURCE_ROOT, file) : "main.py";
  return [createHash("sha256").update(source).digest("hex"), { rel, source }];
}));

mkdirSync(OUT, { recursive: true });
const missing = [...wanted].filter(([hash]) => !existsSync(join(OUT, `${hash}.pyc`)));
// Drop bytecode of sources that no longer exist, so the folder does not grow with every edit.
for (const name of readdirSync(OUT)) {
  if (name.endsWith(".pyc") && !wanted.has(name.slice(0, -4))) rmSync(join(OUT, name));
}
if (missing.length === 0 && existsSync(join(OUT, "manifest.json"))) {
  console.log(`pyc: up to date (${wanted.size} modules)`);
  process.exit(0);
}

const pyodide = await loadPyodide();
const failed = [];
pyodide.FS.mkdirTree("/work");
for (const [hash, { rel, source }] of missing) {
  pyodide.FS.mkdirTree(`/work/${hash}`);
  pyodide.FS.writeFile(`/work/${hash}/source.py`, source);
  pyodide.globals.set("job", pyodide.toPy({ hash, rel }));
  try {
    pyodide.runPython(`
import py_compile
py_compile.compile(f"/work/{job['hash']}/source.py", cfile=f"/work/{job['hash']}/out.pyc",
                   dfile="${RUNTIME_HOME}/" + job["rel"], doraise=True,
                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
`);
  } catch (error) {
    // A module that does not compile ships as source: the page then reports its error where it is imported.
    failed.push(`${rel}: ${String(error.message).trim().split("\n").pop()}`);
    continue;
  }
  writeFileSync(join(OUT, `${hash}.pyc`), pyodide.FS.readFile(`/work/${hash}/out.pyc`));
}
const cacheTag = pyodide.runPython("import sys; sys.implementation.cache_tag");
writeFileSync(join(OUT, "manifest.json"), JSON.stringify({ cache_tag: cacheTag, pyodide: pyodide.version }) + "\n");
console.log(`pyc: compiled ${missing.length - failed.length} of ${wanted.size} modules for ${cacheTag}`);
for (const problem of failed) console.warn(`pyc: left as source (does not compile): ${problem}`);
