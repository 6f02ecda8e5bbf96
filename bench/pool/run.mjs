// bench/pool/run.mjs - warm starts and WorkerPool from Python in Pyodide on Node
// (bench/pool/bench_pool.py), with a raw Pyodide worker's boot (bench/baselines.mjs) and
// the process's RSS as the host's hooks. `make bench-pool` (bench/pool/run.py) runs it.
//
//   node bench/pool/run.mjs '{"quick": true}'
// Progress on stderr; the result is the last stdout line (JSON). Needs `make wheel`.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { pyodideBoot } from "../baselines.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, "../..");
const version = process.env.PYWW_PYODIDE || "314.0.7";
const indexURL = path.join(root, "build", "pyodide", version) + "/";
const wheels = fs.readdirSync(path.join(root, "dist")).filter((f) => /^pywebworker-.*\.whl$/.test(f));
if (wheels.length !== 1) { console.error(`expected one wheel in dist/, found ${wheels.length}: run make wheel`); process.exit(2); }

const log = (s) => process.stderr.write(`[node] ${s}\n`);
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const py = await loadPyodide({ indexURL });
py.unpackArchive(new Uint8Array(fs.readFileSync(path.join(root, "dist", wheels[0]))), "wheel");
await py.loadPackage("cloudpickle", { messageCallback: () => {} });  // the wheel's one dependency
await py.runPythonAsync(fs.readFileSync(path.join(here, "bench_pool.py"), "utf8"), { filename: "bench_pool.py" });
const hooks = {
  log,
  // Spares are worker_threads of this process: their memory is in its RSS.
  rss: () => process.memoryUsage().rss,
  rss_what: "Node process RSS (process.memoryUsage().rss)",
  pyodideBoot,
  index_url: indexURL,
};
const result = await py.globals.get("main")(process.argv[2] || "{}", hooks);
process.stdout.write(result + "\n");
process.exit(0);
