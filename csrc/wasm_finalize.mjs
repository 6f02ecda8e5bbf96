// wasm_finalize.mjs IN OUT NAME... - keep only the named exports of a wasm
// module (plus "memory"), and turn an exported `_initialize` (the reactor's
// constructor runner) into the module's start function, so that the host
// instantiates it with an empty import object and calls nothing first.
// Emscripten 3.1.6 always adds stackSave/stackAlloc/__errno_location... that
// the pywebworker ABI does not promise; this strips them.
import fs from "node:fs";

const [input, output, ...keep] = process.argv.slice(2);
const want = new Set(["memory", ...keep]);
const buf = fs.readFileSync(input);

function readU32(bytes, pos) {
  let result = 0, shift = 0, b;
  do {
    b = bytes[pos++];
    result |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return [result >>> 0, pos];
}

function u32(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function section(id, payload) {
  return Buffer.concat([Buffer.from([id, ...u32(payload.length)]), payload]);
}

if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error(`${input}: not wasm`);
const parts = [buf.subarray(0, 8)];
let pos = 8, initIndex = -1, hasStart = false, exportAt = -1;
const found = new Set();
while (pos < buf.length) {
  const id = buf[pos];
  const [size, start] = readU32(buf, pos + 1);
  const payload = buf.subarray(start, start + size);
  pos = start + size;
  if (id === 8) hasStart = true;
  if (id !== 7) {
    parts.push(section(id, payload));
    continue;
  }
  let [count, p] = readU32(payload, 0);
  const kept = [];
  for (let i = 0; i < count; i++) {
    const [nlen, q] = readU32(payload, p);
    const name = payload.subarray(q, q + nlen).toString("utf8");
    const kind = payload[q + nlen];
    const [index, r] = readU32(payload, q + nlen + 1);
    if (name === "_initialize" && kind === 0) initIndex = index;
    if (want.has(name)) {
      kept.push(payload.subarray(p, r));
      found.add(name);
    }
    p = r;
  }
  exportAt = parts.length;
  parts.push(section(7, Buffer.concat([Buffer.from(u32(kept.length)), ...kept])));
}
const missing = [...want].filter((n) => !found.has(n));
if (missing.length) throw new Error(`missing exports: ${missing.join(", ")}`);
if (initIndex >= 0 && !hasStart) {
  // The start section comes right after the export section.
  parts.splice(exportAt + 1, 0, section(8, Buffer.from(u32(initIndex))));
}
const out = Buffer.concat(parts);
new WebAssembly.Module(out); // validates
fs.writeFileSync(output, out);
