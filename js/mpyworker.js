// PyWorker bootstrap, MicroPython's part: after the shared part (js/pyworker.js), in the
// "mpyworker" bundle of js/manifest.json. pwwBoot loads MicroPython's WebAssembly port
// (npm @micropython/micropython-webassembly-pyscript, the build PyScript uses), writes
// pywebworker/micropython/pywebworker.py into its file system as the `pywebworker`
// module, applies the config (files, cwd, argv) and runs the script (steps 3-5 of
// js/pyworker.js).
//
// MicroPython gets its files from the host (init.files, shipped in the wheel) or from
// init.indexURL (the directory of micropython.mjs, PyWorker's index_url). In a browser
// the shipped files are loaded from blob URLs; in Node from a directory under the
// system's temporary one, written once per content (Emscripten's Node loader reads the
// wasm with fs, and Node cannot import a blob URL).
//
// The `pywebworker` module sees only plain values across the FFI: JSON as text (the
// MicroPython side reads and writes it with its json module: ints of any size stay
// exact, which a JS number would not), bytes as Uint8Array, text as strings. What it
// reads comes from this worker's C inbound queue, as in a Pyodide PyWorker.
const PWW_MPY_HEAP = 16 << 20;  // bytes: MicroPython's heap at boot (its default is 1 MiB)
// MicroPython's wasm memory may grow past the heap (the build adds heap as needed) up to
// this many bytes; past it an allocation raises MemoryError. Without a bound a script
// that keeps allocating grows it to wasm's 2 GiB, in a Node host inside its process.
const PWW_MPY_MEMORY_MAX = 256 << 20;
// What that leaves for Python data, measured (README "MicroPython workers"): a str or
// bytes of 123 MiB returns from a fresh worker and one of 124 MiB raises MemoryError at
// once (MicroPython adds heap areas of at most 128 MiB); 123 bytearrays of 1 MiB fit.
// Said with every MemoryError a worker reports.
const PWW_MPY_MEMORY_NOTE = ` (a MicroPython worker holds about 123 MiB of Python data, in one value or many: its memory is bounded at ${PWW_MPY_MEMORY_MAX >> 20} MiB)`;
// Words (4 bytes) of MicroPython's Python stack (its default, 2048, overflows at ~100
// levels of nesting, below the payload rules' 512).
const PWW_MPY_PYSTACK = 64 << 10;
// JSON text of this many UTF-16 units or more reaches MicroPython with its string values
// of PWW_MPY_LONG units or more cut out (pwwJsonSplit): MicroPython's json.loads is
// quadratic in a str's length. As _BIG_TEXT and _BIG in micropython/pywebworker.py.
const PWW_MPY_LONG_TEXT = 1 << 16;
const PWW_MPY_LONG = 4096;

async function pwwBoot(init) {
  if (!pwwOpenQueue(init)) return;
  const filename = `/worker/${init.name}.py`;
  let mod = null, lift = 0, mp = null;
  try {
    pwwSay(PWW.STAGE, "loading");
    const where = await pwwMpyURLs(init);
    const { loadMicroPython } = await import(where.moduleURL);
    mp = await pwwMpyBounded(() => loadMicroPython({
      url: where.wasmURL, heapsize: PWW_MPY_HEAP, pystack: PWW_MPY_PYSTACK, linebuffer: true,
      stdout: (text) => pwwSay(PWW.OUTPUT, "stdout", text),
      stderr: (text) => pwwSay(PWW.OUTPUT, "stderr", text),
    }));
    mp.FS.mkdirTree("/lib");
    // The module as bytecode (built by mpy-cross with the wheel), or as source.
    const mpy = init.files["micropython/pywebworker.mpy"];
    if (mpy) mp.FS.writeFile("/lib/pywebworker.mpy", mpy);
    else mp.FS.writeFile("/lib/pywebworker.py", init.files["micropython/pywebworker.py"]);
    mp.registerJsModule("_pywebworker_mpy", pwwMpyApi(mp, filename));
    const code = init.url ? await pwwFetchText(init.url) : init.script;
    mod = mp.pyimport("pywebworker");
    // The config (pywebworker/_config.py; the host refused what MicroPython cannot do:
    // a config URL, env, archives): working directory and files, then sys.argv.
    if (init.config) {
      await pwwConfigFiles(mp.FS, init.config, null, { keep: mpy ? "/lib/pywebworker.mpy" : "/lib/pywebworker.py" });
      if (init.config.argv) mod._set_argv(JSON.stringify(init.config.argv));
    }
    // Readiness as in pywebworker/_boot.py: a script that assigns __export__ at its top
    // level is ready once __export__ exists (MicroPython has no ast: a line starting
    // with the assignment counts).
    // MicroPython compiles a top-level `async for` or `async with` only after a top-level
    // `await` (its compiler makes the module a coroutine there): a script with one runs
    // after a first line that awaits nothing, and tracebacks count lines without it.
    lift = /^[ \t]*async[ \t]+(for|with)\b/m.test(code) ? 1 : 0;
    pwwSay(PWW.STAGE, "script");
    mod._boot(filename, /^[ \t]*__export__[ \t]*(=|:)/m.test(code), lift);
    await mp.runPythonAsync(lift ? "await __import__('pywebworker')._nothing()\n" + code : code);
    mod._top_level_done();
  } catch (e) {
    pwwFlushLater();
    if (mp) pwwMpyFlushOutput(mp._module);
    pwwSay(PWW.FAILED, pwwMpyErr(e, filename, lift));
  }
}

// load() (MicroPython's loadMicroPython) with the memory of the wasm instance it makes
// bounded by PWW_MPY_MEMORY_MAX: loadMicroPython takes no Module options, so the
// instance is caught as WebAssembly makes it (nothing else is instantiated meanwhile),
// and its memory's grow() refuses past the bound (Emscripten's malloc then fails, and
// MicroPython raises MemoryError).
async function pwwMpyBounded(load) {
  const W = WebAssembly, made = [];
  const keep = (r) => { made.push(r.instance || r); return r; };
  const { instantiate, instantiateStreaming } = W;
  W.instantiate = (...a) => instantiate.apply(W, a).then(keep);
  if (instantiateStreaming) W.instantiateStreaming = (...a) => instantiateStreaming.apply(W, a).then(keep);
  let mp;
  try { mp = await load(); } finally {
    W.instantiate = instantiate;
    if (instantiateStreaming) W.instantiateStreaming = instantiateStreaming;
  }
  for (const inst of made) {
    const mem = inst.exports && inst.exports.memory;
    if (!(mem instanceof W.Memory)) continue;
    const grow = mem.grow;
    mem.grow = (pages) => {
      if (mem.buffer.byteLength + pages * 65536 > PWW_MPY_MEMORY_MAX) throw new RangeError("pywebworker: MicroPython's memory is at its bound");
      return grow.call(mem, pages);
    };
  }
  return mp;
}

// The line of output the script began but did not end (loadMicroPython's linebuffer
// holds it until a newline), said before the worker fails instead of lost with it.
function pwwMpyFlushOutput(Module) {
  for (const [key, stream] of [["_stdoutBuffer", "stdout"], ["_stderrBuffer", "stderr"]]) {
    const buf = Module && Module[key];
    if (Array.isArray(buf) && buf.length) {
      pwwSay(PWW.OUTPUT, stream, Module._textDecoder.decode(new Uint8Array(buf)));
      buf.length = 0;
    }
  }
}

// Where micropython.mjs and micropython.wasm load from: {moduleURL, wasmURL}.
async function pwwMpyURLs(init) {
  if (init.indexURL) return { moduleURL: init.moduleURL, wasmURL: init.indexURL + "micropython.wasm" };
  const mjs = init.files["micropython/micropython.mjs"], wasm = init.files["micropython/micropython.wasm"];
  if (!mjs || !wasm) throw new Error("pywebworker: the wheel has no MicroPython files (micropython.mjs, micropython.wasm); give index_url=");
  if (!pwwInNode()) {
    const url = (bytes, type) => URL.createObjectURL(new Blob([bytes], { type }));
    return { moduleURL: url(mjs, "text/javascript"), wasmURL: url(wasm, "application/wasm") };
  }
  const fs = require("node:fs"), path = require("node:path");
  const hash = require("node:crypto").createHash("sha256").update(mjs).update(wasm).digest("hex").slice(0, 16);
  const dir = path.join(require("node:os").tmpdir(), `pywebworker-micropython-${hash}`);
  const put = (name, bytes) => {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && fs.statSync(file).size === bytes.length) return;
    // Written under a unique name and renamed: workers starting together never read half a file.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  };
  fs.mkdirSync(dir, { recursive: true });
  put("micropython.wasm", wasm);
  put("micropython.mjs", mjs);
  return { moduleURL: "file://" + path.join(dir, "micropython.mjs"), wasmURL: path.join(dir, "micropython.wasm") };
}

// {name, message, stack} of an error MicroPython raised into JS (a PythonError: `type`,
// and the traceback as its message), the script's name in place of "<stdin>", its line
// numbers less `lift` (the line pwwBoot put first), pywebworker's own frames dropped.
function pwwMpyErr(e, filename, lift) {
  if (!e || e.name !== "PythonError" || typeof e.message !== "string") return pwwErrorInfo(e);
  const stack = e.message
    .replace(/File "<stdin>", line (\d+)/g, (_, n) => `File "${filename}", line ${n - lift}`)
    .split('File "<stdin>"').join(`File "${filename}"`)
    .split("\n").filter((l) => !l.startsWith('  File "/lib/pywebworker.py"')).join("\n");
  const lines = stack.replace(/\n+$/, "").split("\n");
  const type = e.type || "Error";
  const last = lines.findLastIndex((l) => l === type || l.startsWith(type + ":"));
  let message = last < 0 ? stack : lines.slice(last).join("\n").slice(type.length).replace(/^: ?/, "");
  if (type === "MemoryError") message += PWW_MPY_MEMORY_NOTE;
  return { name: type, message, stack: stack.endsWith("\n") ? stack : stack + "\n" };
}

// The `_pywebworker_mpy` module the MicroPython side (pywebworker/micropython/pywebworker.py)
// calls: pwwParentApi's queue, sends and calls, with plain values.
function pwwMpyApi(mp, filename) {
  const api = pwwParentApi(), id = pwwParentId, toJs = mp.PyProxy.toJs;
  const bytesOf = (b) => { const u = toJs(b); return ArrayBuffer.isView(u) ? u : new Uint8Array(0); };
  const bufsOf = (list) => (list ? Array.from(toJs(list), (b) => (ArrayBuffer.isView(b) ? b : new Uint8Array(0))) : undefined);
  // Text from MicroPython: a str, or its UTF-8 bytes when it holds a NUL (MicroPython's
  // FFI ends a str at its first NUL).
  const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  const textOf = (t) => (typeof t === "string" ? t : utf8.decode(bytesOf(t)));
  const u8Lists = (bufs) => (bufs || []).map((list) => list.map((b) => new Uint8Array(b)));
  // JSON text from MicroPython's _dumps: its text, or [json, text, json, ..., text, json]
  // whose `text` parts (str, or UTF-8 bytes) are the content of long JSON strings,
  // escaped here (MicroPython's json is quadratic in a str's length).
  const jsonOf = (j) => {
    if (typeof j === "string") return j;
    const parts = toJs(j);
    if (!Array.isArray(parts)) return String(j);
    return parts.map((p, i) => (i & 1 ? JSON.stringify(textOf(p)).slice(1, -1) : textOf(p))).join("");
  };
  // JSON text for MicroPython's _loads: long text split (pwwJsonSplit) before it crosses,
  // so that only its long strings cross, once.
  const jsonIn = (t) => (typeof t === "string" && t.length >= PWW_MPY_LONG_TEXT && pwwJsonSplit(t, PWW_MPY_LONG)) || t;
  const check = (r) => {
    if (typeof r === "number" && r < 0) throw pwwCoreInst.coreError(r);
    return r;
  };
  // Replies to the host's calls made in one JS task leave in one `returns`.
  const returns = pwwOutbox((b) => {
    try { pwwPost(pwwMessage(PWW_NONCE, PWW.RETURNS, pwwBatchText(b), b.bufs, b.ids), b.transfer); } catch (e) {
      const failed = pwwBatchFailed(b.ids, pwwErrorInfo(e, "the reply could not be posted: "));
      try { pwwSay(PWW.RETURNS, pwwBatchText(failed), [], failed.ids); } catch (e2) { pwwCaught(e2); }
    }
  });
  return {
    filename,
    length: () => api.length(id),
    unreadCount: () => api.unreadCount(id),
    // The unread indices, oldest first, as "1,2,3" (one string crosses cheaper than a list).
    unread: () => check(pwwCoreInst.listUnread(id, PWW_CORE.INBOUND)).join(","),
    // [kind, opened, receivedMs, nbytes] of message `index`.
    info: (index) => check(api.info(id, index)),
    // [kind, payload] of message `index`, now marked opened: text, JSON text or error
    // JSON text as a string, bytes as a Uint8Array of their own.
    read: (index) => {
      const e = check(api.read(id, index));
      return [e[0], ArrayBuffer.isView(e[1]) ? e[1].slice() : e[0] === PWW_CORE.MSG_TEXT ? e[1] : jsonIn(e[1])];
    },
    releaseOpened: () => api.releaseOpened(id),
    sendText: (text) => api.send(PWW_CORE.MSG_TEXT, textOf(text)),
    sendJson: (text) => api.send(PWW_CORE.MSG_JSON, jsonOf(text)),
    sendBytes: (b) => api.send(PWW_CORE.MSG_BYTES, bytesOf(b)),
    sendError: (name, message, stack) => api.sendError(textOf(name), textOf(message), textOf(stack)),
    // wake() is called (no arguments) when a message or an error arrives.
    watch: (wake) => api.watch(true, () => wake()),
    // onCalls(text, bufs): the host's batches; onReturns(text, bufs, late): replies to
    // this worker's calls (late: "1,2" of those already ended). bufs: lists of Uint8Array.
    serve: (onCalls, onReturns) => api.serve(
      (text, bufs) => onCalls(jsonIn(text), u8Lists(bufs)),
      (text, bufs, late) => onReturns(jsonIn(text), u8Lists(bufs), (late || []).join(","))),
    reply: (callId, ok, json, bufs) => returns.add(callId, ok ? 1 : 0, jsonOf(json), pwwOwnBuffers(bufsOf(bufs))),
    // Begin a call to the host: its id, or a negative core code.
    call: (name, json, bufs) => api.call(textOf(name), jsonOf(json), bufsOf(bufs)),
    // Synchronous calls (js/sync.js): [text, bufs] of the answer (bufs: Uint8Arrays), or
    // null after `timeout` seconds.
    sharedMemory: () => pwwSharedMemory(),
    sync: (name, json, bufs, timeout) => {
      const r = api.sync(PWW_SYNC.CALL, textOf(name), jsonOf(json), bufsOf(bufs), Number(timeout));
      return r === undefined ? null : [jsonIn(r[0]), r[1].map((b) => new Uint8Array(b))];
    },
    ready: (namesJson) => { pwwFlushLater(); pwwSay(PWW.READY, JSON.parse(namesJson)); },
    jsonSplit: (text) => pwwJsonSplit(textOf(text), PWW_MPY_LONG),
    memoryNote: PWW_MPY_MEMORY_NOTE,
    // A Uint8Array copied into MicroPython's memory outside its heap: the address (0: no
    // room), which _bytes_of reads with uctypes and gives back to unstage at once.
    stage: (u8) => {
      const M = mp._module, at = M._malloc(u8.length);
      if (at) M.HEAPU8.set(u8, at);
      return at;
    },
    unstage: (at) => mp._module._free(at),
  };
}

// `s` as MicroPython can take it: itself, or when it holds lone surrogates (which
// Emscripten's stringToUTF8 miscounts: the str would end in stray NULs) the array
// [text, code, text, ..., code, text] of the text between them and their code units.
const pwwLone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
function pwwLoneSurrogates(s) {
  if (typeof s.isWellFormed === "function" ? s.isWellFormed() : !s.match(pwwLone)) return s;
  const out = [];
  let last = 0;
  for (const m of s.matchAll(pwwLone)) {
    out.push(s.slice(last, m.index), s.charCodeAt(m.index));
    last = m.index + 1;
  }
  out.push(s.slice(last));
  return out;
}

// JSON text with its long strings cut out, for MicroPython's _loads (its json.loads is
// quadratic in a str's length): null when it has none of `long` UTF-16 units or more (or
// is not JSON to cut: json.loads says why), else [text, prefix, str0, str1, ...], each
// long string value (keys stay) in `text` the marker prefix + its index, each str as
// pwwLoneSurrogates gives it. The prefix starts with NUL and holds a random part; null
// too when a string left in the text starts with it (a JSON string starts with NUL only
// written as \u0000), so that every marker _put_back finds is one.
function pwwJsonSplit(text, long) {
  const prefix = "\u0000pww" + Math.random().toString(36).slice(2) + ":";
  const cut = [];
  let i = 0;
  for (;;) {
    const open = text.indexOf('"', i);
    if (open < 0) break;
    let close = open;
    for (;;) {  // the next quote not escaped (after an even run of backslashes)
      close = text.indexOf('"', close + 1);
      if (close < 0) return null;
      let b = close - 1;
      while (text.charCodeAt(b) === 92) b--;
      if ((close - 1 - b) % 2 === 0) break;
    }
    i = close + 1;
    let k = i;
    while (k < text.length && " \t\n\r".includes(text[k])) k++;
    if (close - open - 1 >= long && text[k] !== ":") cut.push(open, close);
    else if (text.startsWith('"\\u0000', open)) {
      try { if (JSON.parse(text.slice(open, close + 1)).startsWith(prefix)) return null; } catch (_) { return null; }
    }
  }
  if (!cut.length) return null;
  const pieces = [], longs = [];
  let last = 0;
  for (let n = 0; n < cut.length; n += 2) {
    pieces.push(text.slice(last, cut[n]), JSON.stringify(prefix + (n >> 1)));
    let s;
    try { s = JSON.parse(text.slice(cut[n], cut[n + 1] + 1)); } catch (_) { return null; }
    longs.push(pwwLoneSurrogates(s));
    last = cut[n + 1] + 1;
  }
  pieces.push(text.slice(last));
  return [pieces.join(""), prefix, ...longs];
}
