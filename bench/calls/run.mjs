// bench/calls/run.mjs - call latency and throughput: pywebworker (from Python in Pyodide)
// against comlink (JS to JS), measured in the same Node process. `make bench-calls`.
//
//   node bench/calls/run.mjs [seq burst rounds]
// Prints a table and one JSON line (the last line; bench/calls/run.py reads it). Needs `make wheel` and `npm install` in bench/calls.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, "../..");
const [seq, burst, rounds] = (process.argv.slice(2).length ? process.argv.slice(2) : [1000, 5000, 5]).map(Number);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const now = () => performance.now();

// --- comlink: expose({add}) in a worker_threads worker, wrap() it here ---------------
async function comlinkBench() {
  const comlink = path.join(here, "node_modules/comlink/dist/umd");
  const src = `
    const Comlink = require(${JSON.stringify(comlink + "/comlink.js")});
    const nodeEndpoint = require(${JSON.stringify(comlink + "/node-adapter.js")});
    const { parentPort } = require("node:worker_threads");
    Comlink.expose({ add: (a, b) => a + b }, nodeEndpoint(parentPort));`;
  const Comlink = (await import(pathToFileURL(comlink + "/comlink.js").href)).default;
  const nodeEndpoint = (await import(pathToFileURL(comlink + "/node-adapter.js").href)).default;
  const worker = new Worker(src, { eval: true });
  const api = Comlink.wrap(nodeEndpoint(worker));
  for (let i = 0; i < 200; i++) await api.add(i, 1);
  const lat = [], tput = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < seq; i++) {
      const t0 = now();
      await api.add(i, 1);
      lat.push((now() - t0) * 1000);
    }
  }
  for (let r = 0; r < rounds; r++) {
    const t = now();
    const all = await Promise.all(Array.from({ length: burst }, (_, i) => api.add(i, 1)));
    tput.push(burst / ((now() - t) / 1000));
    if (all[burst - 1] !== burst) throw new Error("comlink: wrong result");
  }
  api[Comlink.releaseProxy]();
  await worker.terminate();
  const p99 = [...lat].sort((x, y) => x - y)[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))];
  return { latency_us: median(lat), p99_us: p99, mean_us: lat.reduce((a, b) => a + b, 0) / lat.length, calls_per_s: median(tput) };
}

async function pywebworkerBench() {
  const version = process.env.PYWW_PYODIDE || "314.0.7";
  const indexURL = path.join(root, "build", "pyodide", version) + "/";
  const wheels = fs.readdirSync(path.join(root, "dist")).filter((f) => /^pywebworker-.*\.whl$/.test(f));
  if (wheels.length !== 1) throw new Error(`expected one wheel in dist/, found ${wheels.length}: run make wheel`);
  const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
  const py = await loadPyodide({ indexURL });
  py.unpackArchive(new Uint8Array(fs.readFileSync(path.join(root, "dist", wheels[0]))), "wheel");
  await py.runPythonAsync(fs.readFileSync(path.join(here, "bench_calls.py"), "utf8"), { filename: "bench_calls.py" });
  return JSON.parse(await py.globals.get("main")(JSON.stringify({ seq, burst, rounds })));
}

const comlink = await comlinkBench();
const pww = await pywebworkerBench();
const rows = [
  ["comlink (JS -> JS worker)", comlink],
  ["pywebworker PyWorker (Python -> Python)", pww.pyworker],
  ["pywebworker JsWorker (Python -> JS)", pww.jsworker],
  ["pywebworker PyWorker -> host (Python -> Python)", pww.pyworker_to_host],
];
console.log(`Node ${process.version}, Pyodide ${process.env.PYWW_PYODIDE || "314.0.7"}; ${seq} sequential calls, ${burst} at once, median of ${rounds}`);
for (const [name, r] of rows) {
  const tp = r.calls_per_s ? `${Math.round(r.calls_per_s).toLocaleString("en")} calls/s` : "";
  console.log(`${name.padEnd(50)} ${r.latency_us.toFixed(1).padStart(8)} µs/round trip   ${tp}`);
}
console.log(JSON.stringify({ comlink, ...pww }));
process.exit(0);
