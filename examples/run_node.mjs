// Run a notebook-style Python file (top-level await allowed) in Pyodide on Node, with
// pywebworker installed from the wheel in dist/ by micropip, as a user would.
//
//   node examples/run_node.mjs examples/quickstart.py
//
// Pyodide comes from build/pyodide/<version>/ (tools/make_dist.py: the npm package
// plus micropip's wheel, since there is no CDN to fetch it from).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const version = process.env.PYWW_PYODIDE || "314.0.7";
const indexURL = path.join(root, "build", "pyodide", version) + "/";
const script = process.argv[2];
if (!script) { console.error("usage: node examples/run_node.mjs FILE.py"); process.exit(2); }

const wheels = fs.readdirSync(path.join(root, "dist")).filter((f) => /^pywebworker-.*\.whl$/.test(f));
if (wheels.length !== 1) { console.error(`expected one wheel in dist/, found ${wheels.length}: run make wheel`); process.exit(2); }

const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const pyodide = await loadPyodide({ indexURL });
await pyodide.loadPackage("micropip", { messageCallback: () => {} });
pyodide.FS.writeFile(`/tmp/${wheels[0]}`, fs.readFileSync(path.join(root, "dist", wheels[0])));
await pyodide.runPythonAsync(`import micropip\nawait micropip.install("emfs:/tmp/${wheels[0]}")`);
try {
  await pyodide.runPythonAsync(fs.readFileSync(script, "utf8"), { filename: script });
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
}
