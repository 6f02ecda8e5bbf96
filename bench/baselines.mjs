// Raw JavaScript baselines, measured in the same run as pywebworker (bench/bench_pww.py
// calls them through the `pwwbench` module the runner registers in Pyodide).
// One file for both hosts: Web Workers in a browser, node:worker_threads in Node.
// Every function returns plain numbers; nothing here asserts a time.

const WT = (typeof globalThis.Worker === "undefined" && globalThis.process && process.getBuiltinModule)
  ? process.getBuiltinModule("node:worker_threads") : null;
export const env = WT ? "node" : "browser";
const now = () => performance.now();

// Echo scripts: the same behaviour in both hosts. `transfer` echoes an ArrayBuffer
// by transferring it back.
export const ECHO_WEB = "onmessage = (e) => postMessage(e.data);";
export const ECHO_NODE = "const { parentPort } = require('node:worker_threads');\n" +
  "parentPort.on('message', (d) => parentPort.postMessage(d));";
const ECHO_TRANSFER_WEB = "onmessage = (e) => postMessage(e.data, [e.data]);";
const ECHO_TRANSFER_NODE = "const { parentPort } = require('node:worker_threads');\n" +
  "parentPort.on('message', (d) => parentPort.postMessage(d, [d]));";

// {post(value, transfer?), onData(cb), terminate()} over either kind of worker.
function spawn(webSource, nodeSource, type = "classic") {
  if (WT) {
    const w = new WT.Worker(nodeSource, { eval: true });
    return {
      post: (v, t) => w.postMessage(v, t),
      onData: (cb) => { w.removeAllListeners("message"); w.on("message", cb); },
      terminate: () => w.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([webSource], { type: "text/javascript" }));
  const w = new Worker(url, { type });
  return {
    post: (v, t) => (t ? w.postMessage(v, t) : w.postMessage(v)),
    onData: (cb) => { w.onmessage = (e) => cb(e.data); },
    terminate: () => { w.terminate(); URL.revokeObjectURL(url); },
  };
}

const echoWorker = (transfer = false) =>
  transfer ? spawn(ECHO_TRANSFER_WEB, ECHO_TRANSFER_NODE) : spawn(ECHO_WEB, ECHO_NODE);

// Send `messages` (strings) all at once, resolve when all echoes are back.
function pump(w, messages) {
  return new Promise((resolve) => {
    let got = 0;
    const n = messages.length;
    w.onData(() => { if (++got === n) resolve(); });
    for (let i = 0; i < n; i++) w.post(messages[i]);
  });
}

export const shortMessages = (n) => Array.from({ length: n }, (_, i) => `message ${i}`);

// 1. Throughput: seconds for n short strings to go out and all echoes to come back.
export async function throughput(n) {
  const w = echoWorker();
  const messages = shortMessages(n);
  await pump(w, messages.slice(0, 1000));  // warm-up: the worker is up, code is hot
  const t0 = now();
  await pump(w, messages);
  const t = (now() - t0) / 1000;
  w.terminate();
  return t;
}

// 2. Ping-pong: per round trip microseconds, sequential, after `warm` untimed rounds.
export async function pingpong(n, warm = 200) {
  const w = echoWorker();
  let resolveOne = null;
  w.onData(() => resolveOne());
  const once = () => new Promise((r) => { resolveOne = r; w.post("ping"); });
  for (let i = 0; i < warm; i++) await once();
  const us = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await once();
    us[i] = (now() - t0) * 1000;
  }
  w.terminate();
  return Array.from(us);
}

// 3. Binary echo: seconds for `count` sequential round trips of `nbytes`, cloned
// (transfer = false: the same buffer each time, as a user would post it) or
// transferred both ways.
export async function binary(nbytes, count, transfer) {
  const w = echoWorker(transfer);
  let buf = new Uint8Array(nbytes).map((_, i) => i & 255).buffer;
  let resolveOne = null;
  w.onData((d) => resolveOne(d));
  const once = () => new Promise((r) => {
    resolveOne = r;
    if (transfer) w.post(buf, [buf]); else w.post(buf);
  });
  buf = await once();  // warm-up
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const back = await once();
    if (back.byteLength !== nbytes) throw new Error(`binary echo: got ${back.byteLength} bytes`);
    if (transfer) buf = back;
  }
  const t = (now() - t0) / 1000;
  w.terminate();
  return t;
}

// 4. Cold start of `count` raw Pyodide module workers at once: for each, milliseconds
// from `new Worker` to its first reply from Python; plus the time until the last one.
export async function pyodideBoot(indexURL, count = 1) {
  const moduleURL = WT ? "file://" + indexURL + "pyodide.mjs" : indexURL + "pyodide.mjs";
  const body = `const { loadPyodide } = await import(${JSON.stringify(moduleURL)});
const py = await loadPyodide({ indexURL: ${JSON.stringify(indexURL)} });
reply(py.runPython("'up from ' + __import__('sys').platform"));`;
  const web = `const reply = (v) => postMessage(v);\n${body}`;
  const node = `const { parentPort } = require('node:worker_threads');
const reply = (v) => parentPort.postMessage(v);
(async () => {\n${body}\n})();`;
  const t0 = now();
  const times = await Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
    const start = now();
    const w = spawn(web, node, "module");
    w.onData(() => { resolve(now() - start); w.terminate(); });
  })));
  return { each_ms: times, all_ms: now() - t0 };
}
