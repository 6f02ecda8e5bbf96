// Run bench/bench_pww.py in Pyodide on Node, with pywebworker unpacked from the wheel in
// dist/ and the raw baselines of bench/baselines.mjs; prints the results as one JSON
// line on stdout (progress goes to stderr). Driven by bench/run.py (make bench).
//
//   node bench/node_bench.mjs '{"n_throughput": 20000, ...}'
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as baselines from "./baselines.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const version = process.env.PYWW_PYODIDE || "314.0.7";
const indexURL = path.join(root, "build", "pyodide", version) + "/";
const config = process.argv[2] || "{}";

const wheels = fs.readdirSync(path.join(root, "dist")).filter((f) => /^pywebworker-.*\.whl$/.test(f));
if (wheels.length !== 1) { console.error(`expected one wheel in dist/, found ${wheels.length}: run make wheel`); process.exit(2); }

const log = (s) => process.stderr.write(`[node] ${s}\n`);
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const pyodide = await loadPyodide({ indexURL });
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(path.join(root, "dist", wheels[0]))), "wheel");
pyodide.registerJsModule("pwwbench", { ...baselines, log, index_url: indexURL });
await pyodide.runPythonAsync(fs.readFileSync(path.join(root, "bench", "bench_pww.py"), "utf8"),
  { filename: "bench_pww.py" });
const result = await pyodide.globals.get("main")(config);
process.stdout.write(result + "\n");
process.exit(0);
