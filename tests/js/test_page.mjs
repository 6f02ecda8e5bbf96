// The page object (js/page.js) under plain Node, with a fake Python: `node tests/js/test_page.mjs`.
// What the page sees: ready and the loaded flag/event, calls before ready, unknown names,
// argument refusals, results and errors, close. The Python side is tests/unit/test_page.py;
// both together in real Pyodide and Chromium, tests/py/test_page.py.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "js");
const manifest = JSON.parse(fs.readFileSync(path.join(JS, "manifest.json"), "utf8"));
const source = manifest.page.map((f) => fs.readFileSync(path.join(JS, f), "utf8")).join("\n");

// A fresh global scope (a plain object standing for globalThis) with the page bundle;
// `events` records what is dispatched on it.
function scope() {
  const events = [];
  const g = { dispatchEvent: (e) => { events.push(e.type); return true; } };
  g.pwwPage = new Function("globalThis", `${source}\nreturn pwwPage;`)(g);
  return { g, events };
}

// A page object whose Python records each call and answers when the test says.
function made(name = "backend") {
  const s = scope();
  const calls = [];
  const ctl = s.g.pwwPage(name, (id, fname, json, bufs) => calls.push({ id, fname, json, bufs }));
  assert.equal(typeof ctl, "object");
  return { ...s, ctl, calls, obj: s.g[name] };
}

const tick = () => new Promise((r) => setImmediate(r));
const tests = [];
const test = (name, fn) => tests.push([name, fn]);

test("calls made before ready wait for it; ready, the flag and the event come together", async () => {
  const { g, events, ctl, calls, obj } = made();
  assert.equal(g.backendloaded, false);
  const early = obj.greet("Ada");
  const unknownEarly = obj.nope();
  await tick();
  assert.equal(calls.length, 0);  // nothing registered yet: waits
  ctl.update(["greet"], []);
  assert.equal(g.backendloaded, false);  // at the end of this task, not now
  const r = await obj.ready;
  assert.equal(r, obj);
  assert.equal(g.backendloaded, true);
  assert.deepEqual(events, ["backendloaded"]);
  assert.equal(calls.length, 1);
  assert.deepEqual([calls[0].fname, calls[0].json], ["greet", '["Ada"]']);
  ctl.settle(calls[0].id, 1, '"Hello, Ada"', null);
  assert.equal(await early, "Hello, Ada");
  await assert.rejects(unknownEarly, (e) => e instanceof TypeError && /backend\.nope is not registered; registered: greet/.test(e.message));
});

test("an unknown name rejects at once with the registered names; unregistering", async () => {
  const { ctl, calls, obj } = made();
  ctl.update(["b", "a"], []);
  await obj.ready;
  await assert.rejects(obj.zzz(1), /backend\.zzz is not registered; registered: a, b$/);
  ctl.update([], ["a", "b"]);
  await assert.rejects(obj.a(), /registered: \(none\)/);
  assert.equal(calls.length, 0);
});

test("arguments: JSON values and bytes; anything else is a TypeError naming it", async () => {
  const { g, ctl, calls, obj } = made();
  ctl.update(["f"], []);
  await obj.ready;
  obj.f(1, "x", null, undefined, [true, { k: 1.5 }], new Uint8Array([1, 2, 3]), new Uint8Array([9, 8, 7, 6]).subarray(1, 3),
    new ArrayBuffer(2));
  assert.equal(calls.length, 1);
  const { json, bufs } = calls[0];
  assert.equal(json, '[1,"x",null,null,[true,{"k":1.5}],{"\\u0000b":0},{"\\u0000b":1},{"\\u0000b":2}]');
  assert.deepEqual(bufs.map((b) => Array.from(new Uint8Array(b))), [[1, 2, 3], [8, 7], [0, 0]]);
  const cyclic = {}; cyclic.self = cyclic;
  const refused = [
    [new Map(), /an argument of backend\.f\(\) cannot be carried: a Map at \[0\]/],
    [{ when: new Date() }, /a Date at \[0\]\.when/],
    [10n, /a bigint at \[0\]/],
    [NaN, /non-finite number NaN/],
    [() => 1, /a function/],
    [cyclic, /a cyclic object/],
    [Symbol("s"), /a symbol/],
    [{ "\u0000b": 0 }, /bytes marker/],
  ];
  for (const [value, why] of refused) {
    await assert.rejects(obj.f(value), (e) => e instanceof TypeError && why.test(e.message), String(why));
  }
  let deep = []; for (let i = 0; i < 600; i++) deep = [deep];
  await assert.rejects(obj.f(deep), /nested deeper than 512/);
  assert.equal(calls.length, 1);  // none of them reached Python
});

test("results and errors: values, bytes, PythonError, TypeError, late or unknown ids", async () => {
  const { g, ctl, calls, obj } = made();
  ctl.update(["f"], []);
  await obj.ready;
  const ok = obj.f(), bytes = obj.f(), bad = obj.f(), conv = obj.f();
  ctl.settle(calls[0].id, 1, '{"a":[1,2.5,"é"]}', null);
  ctl.settle(calls[1].id, 1, '{"data":{"\\u0000b":0}}', [new Uint8Array([255, 0])]);
  ctl.settle(calls[2].id, 0, JSON.stringify({ type: "ZeroDivisionError", message: "division by zero",
    traceback: "Traceback (most recent call last):\n  ...", js: "" }), null);
  ctl.settle(calls[3].id, 0, JSON.stringify({ type: "PayloadError", message: "the result of backend.f(): a set", js: "TypeError" }), null);
  assert.deepEqual(await ok, { a: [1, 2.5, "é"] });
  assert.deepEqual(Array.from((await bytes).data), [255, 0]);
  await assert.rejects(bad, (e) => e instanceof Error && e.name === "PythonError" && e.message === "division by zero"
    && e.pythonType === "ZeroDivisionError" && e.pythonTraceback.startsWith("Traceback"));
  await assert.rejects(conv, (e) => e instanceof TypeError && /a set/.test(e.message));
  assert.equal(ctl.settle(calls[0].id, 1, "1", null), false);  // answered already
  assert.equal(ctl.settle(999, 1, "1", null), false);
});

test("a Python callback that throws rejects the call; nothing is thrown at the page", async () => {
  const s = scope();
  const ctl = s.g.pwwPage("backend", () => { throw new Error("proxy was destroyed"); });
  ctl.update(["f"], []);
  await s.g.backend.ready;
  await assert.rejects(s.g.backend.f(), /backend\.f\(\) could not reach Python: proxy was destroyed/);
  assert.equal(ctl.pendingCount(), 0);
});

test("the object: not thenable, read-only, lists its names; one per name", async () => {
  const { g, ctl, obj } = made("api");
  ctl.update(["x", "y"], []);
  assert.equal(await obj.ready, obj);  // awaiting the object itself gives the object
  assert.equal(obj.then, undefined);
  assert.deepEqual(Object.keys(obj), ["x", "y"]);
  assert.ok("x" in obj && "ready" in obj && !("z" in obj));
  assert.equal(obj.x, obj.x);  // the same function each time
  assert.equal(obj.x.name, "x");
  assert.throws(() => { "use strict"; obj.x = 1; }, TypeError);
  assert.throws(() => { delete obj.x; }, TypeError);
  assert.equal(typeof g.pwwPage("api", () => {}), "string");  // taken by a live one
  g.mine = { a: 1 };
  assert.match(g.pwwPage("mine", () => {}), /globalThis\.mine already exists \(\[object Object\]\)/);
  Object.defineProperty(g, "trap", { get() { throw new Error("no"); }, configurable: true });
  assert.match(g.pwwPage("trap", () => {}), /cannot be read \(no\)/);
});

test("close: waiting and running calls reject, the global and flag go, the name is free", async () => {
  const { g, ctl, calls, obj } = made();
  const early = obj.f();
  ctl.update(["f"], []);
  await obj.ready;
  const running = obj.f();
  await tick();
  assert.equal(calls.length, 2);
  ctl.close();
  await assert.rejects(early, /backend was closed/);
  await assert.rejects(running, /backend was closed/);
  assert.equal(g.backend, undefined);
  assert.equal(g.backendloaded, false);
  await assert.rejects(obj.f(), /backend was closed/);  // a reference kept by the page
  assert.equal(ctl.settle(calls[1].id, 1, "1", null), false);
  ctl.close();  // twice: nothing
  assert.equal(typeof g.pwwPage("backend", () => {}), "object");
});

// Rejections nobody handles while `fn` runs (in Node they would end the process).
async function unhandledDuring(fn) {
  const seen = [];
  const on = (e) => seen.push(e && e.message);
  process.on("unhandledRejection", on);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off("unhandledRejection", on);
  }
  return seen;
}

test("the object as a string or number calls nothing and leaves no rejection behind", async () => {
  const { ctl, calls, obj } = made();
  ctl.update(["f"], []);
  await obj.ready;
  const seen = await unhandledDuring(() => {
    assert.equal(String(obj), "[object pywebworker backend]");
    assert.equal(`${obj}`, "[object pywebworker backend]");
    assert.equal(obj + "", "[object pywebworker backend]");
    assert.ok(Number.isNaN(+obj));
    assert.equal(Object.prototype.toString.call(obj), "[object pywebworker backend]");
  });
  assert.deepEqual(seen, []);
  assert.equal(calls.length, 0);
  // Registered under those names, they are Python's like any other.
  ctl.update(["toString", "valueOf"], []);
  obj.toString(1);
  assert.deepEqual(calls.map((c) => c.fname), ["toString"]);
  assert.equal(String(obj), "[object pywebworker backend]");  // conversion still calls nothing
  assert.equal(calls.length, 1);
});

test("Object.prototype's names and odd names are plain names; symbols are not calls", async () => {
  const { ctl, calls, obj } = made();
  const odd = ["__proto__", "constructor", "hasOwnProperty", "valueOf", "1", "a.b", "é😀", "x".repeat(10000)];
  ctl.update(odd, []);
  await obj.ready;
  for (const n of odd) obj[n](n.length);
  assert.deepEqual(calls.map((c) => c.fname), odd);
  assert.deepEqual(Object.keys(obj), odd);
  assert.equal(Object.getPrototypeOf(obj), null);  // nothing inherited shadows a name
  assert.equal(obj[Symbol.iterator], undefined);
  assert.equal(obj[Symbol.asyncIterator], undefined);
  await assert.rejects(obj[""](), /backend\. is not registered/);
});

test("close before ready: ready rejects (nothing waits forever), unhandled or not", async () => {
  const { ctl, obj } = made();
  const ready = obj.ready;
  const early = assert.rejects(obj.f(), /backend was closed/);
  const seen = await unhandledDuring(() => ctl.close());
  assert.deepEqual(seen, []);  // nobody awaited ready: no unhandled rejection for it
  await assert.rejects(ready, /backend was closed/);
  await early;
});

test("a name whose global cannot be set (undefined, a read-only property) is refused, not silently dead", async () => {
  const s = scope();
  s.g.undefined = undefined;
  Object.defineProperty(s.g, "undefined", { value: undefined, writable: false, configurable: false });
  Object.defineProperty(s.g, "fixed", { value: undefined, writable: false, configurable: true });
  Object.defineProperty(s.g, "setterOnly", { set(v) {}, configurable: true });
  for (const name of ["undefined", "fixed", "setterOnly"]) {
    const made = s.g.pwwPage(name, () => {});
    assert.equal(typeof made, "string", name);
    assert.match(made, new RegExp(`globalThis\\.${name} cannot be set`));
    assert.equal(s.g[`${name}loaded`], undefined);
  }
});

test("freezing or re-prototyping the object is refused and leaves it whole", async () => {
  const { ctl, calls, obj } = made();
  ctl.update(["f"], []);
  await obj.ready;
  assert.throws(() => Object.freeze(obj), TypeError);
  assert.throws(() => Object.preventExtensions(obj), TypeError);
  assert.throws(() => Object.setPrototypeOf(obj, Object.prototype), TypeError);
  assert.equal(Object.isExtensible(obj), true);
  assert.equal(Object.getPrototypeOf(obj), null);
  ctl.update(["g"], []);
  assert.deepEqual(Object.keys(obj), ["f", "g"]);  // the names still list
  assert.ok(Object.getOwnPropertyDescriptor(obj, "g"));
  obj.g(1);
  assert.deepEqual(calls.map((c) => c.fname), ["g"]);
});

test("the loaded flag's global is not overwritten when it is something else (another object named apiloaded)", async () => {
  const s = scope();
  const other = s.g.pwwPage("apiloaded", () => {});
  assert.equal(typeof other, "object");
  const proxy = s.g.apiloaded;
  const made = s.g.pwwPage("api", () => {});
  assert.equal(typeof made, "string");
  assert.match(made, /globalThis\.apiloaded, the flag of api, exists and is not a boolean/);
  assert.equal(s.g.apiloaded, proxy);
  assert.equal(s.g.api, undefined);
});

let failures = 0;
for (const [name, fn] of tests) {
  try {
    await fn();
  } catch (e) {
    failures++;
    console.error(`FAIL ${name}\n${e.stack}`);
  }
}
console.log(`${tests.length - failures}/${tests.length} page tests passed`);
process.exitCode = failures ? 1 : 0;
