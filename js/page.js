// pwwPage: the object through which a page's JavaScript calls Python (issue 14; Python side
// pywebworker/page.py). `globalThis[name]` becomes a Proxy: `await backend.f(...args)`
// calls the Python function registered as "f" (a binding runs in the host's Pyodide, a
// task in a worker of a pool: page.py decides, this file only carries the calls).
// Requires payload.js (pwwWhyNot, pwwPack, pwwUnpack); js/manifest.json "page".
//
// `dispatch(id, name, json, bufs)` is the one Python callback: a call of a registered
// name, its arguments packed as a call's (JSON text with bytes beside it, _wire.py). It
// never throws (page.py answers every failure through `settle`); if it did, the call
// rejects here. Python answers each id once with `settle(id, ok, json, bufs)`: ok 1 and
// the packed result, or ok 0 and the JSON of {type, message, traceback, js}.
//
// `ready` resolves, `globalThis[name + "loaded"]` becomes true and a `${name}loaded`
// Event is dispatched on globalThis (where it is an EventTarget) at the end of the JS
// task of the first registration, so that every name Python registers in one go is
// there first. Calls made before that wait for it; after it, a call of a name that is
// not registered rejects at once with the registered names. close() before that rejects
// `ready` (a page awaiting it does not wait forever).
//
// Returns the control object for Python, or a string saying why the object cannot be
// made (the name is taken by something else): nothing is thrown into Python.

class PwwPythonError extends Error {
  constructor(message, pythonType, pythonTraceback) {
    super(message);
    this.name = "PythonError";
    this.pythonType = pythonType;
    this.pythonTraceback = pythonTraceback;
  }
}

const PWW_PAGE = Symbol.for("pywebworker.page");
// Names the object keeps for itself: `ready`, and `then` / `toJSON`, which must stay
// undefined (a thenable could not be awaited as itself; JSON.stringify would call it).
const PWW_PAGE_RESERVED = ["ready", "then", "toJSON"];

function pwwPage(name, dispatch) {
  const g = globalThis;
  try {
    const existing = g[name];
    if (existing !== undefined && existing !== null && existing[PWW_PAGE] === true) {
      return `globalThis.${name} is already a pywebworker page object: close() that one first`;
    }
    if (existing !== undefined) {
      return `globalThis.${name} already exists (${Object.prototype.toString.call(existing)}) and is not a pywebworker page object: choose another name`;
    }
    const loaded = g[`${name}loaded`];
    if (loaded !== undefined && typeof loaded !== "boolean") {
      return `globalThis.${name}loaded, the flag of ${name}, exists and is not a boolean (${Object.prototype.toString.call(loaded)}): choose another name`;
    }
  } catch (e) {
    return `globalThis.${name} cannot be read (${e && e.message}): choose another name`;
  }

  const names = new Set();
  const fns = new Map();      // name -> the function the object hands out for it
  const pending = new Map();  // call id -> {resolve, reject}
  const early = [];           // calls made before ready: [name, args, resolve, reject]
  let lastId = 0, isReady = false, closed = false, readyScheduled = false;
  let readyResolve, readyReject;
  const ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
  ready.catch(() => {});  // closed before ready: it rejects, and no one need be listening
  const flag = `${name}loaded`;

  const notRegistered = (fname) => new TypeError(
    `${name}.${fname} is not registered; registered: ${names.size ? [...names].sort().join(", ") : "(none)"}`);
  const closedError = () => new Error(`pywebworker: ${name} was closed`);

  // Start the call `fname(...args)` now; resolve/reject when Python answers.
  function start(fname, args, resolve, reject) {
    if (closed) return reject(closedError());
    if (!names.has(fname)) return reject(notRegistered(fname));
    let json, bufs;
    try {
      // An argument that is undefined is null, as JSON.stringify writes it in an array.
      [json, bufs] = pwwPack(Array.from(args, (a) => (a === undefined ? null : a)), `an argument of ${name}.${fname}()`);
    } catch (e) {
      return reject(e);
    }
    const id = ++lastId;
    pending.set(id, { resolve, reject });
    try {
      dispatch(id, fname, json, bufs);
    } catch (e) {
      // Python could not even take the call (its proxy destroyed, a fatal error).
      if (pending.delete(id)) reject(new Error(`pywebworker: ${name}.${fname}() could not reach Python: ${e && e.message}`));
    }
  }

  function call(fname, args) {
    return new Promise((resolve, reject) => {
      if (!isReady && !closed) early.push([fname, args, resolve, reject]);
      else start(fname, args, resolve, reject);
    });
  }

  // The function for `fname`: the same one each time for a registered name (a page
  // probing unknown names gets a fresh one each time, so that nothing piles up here).
  function fnFor(fname) {
    let f = fns.get(fname);
    if (f === undefined) {
      f = { [fname]: (...args) => call(fname, args) }[fname];  // its name shows in stacks
      if (names.has(fname)) fns.set(fname, f);
    }
    return f;
  }

  function becomeReady() {
    if (isReady || closed) return;
    isReady = true;
    g[flag] = true;
    readyResolve(proxy);
    try {
      if (typeof g.dispatchEvent === "function" && typeof Event === "function") g.dispatchEvent(new Event(flag));
    } catch (_) { /* a listener's error is reported by the platform, not thrown here */ }
    for (const [fname, args, resolve, reject] of early.splice(0)) start(fname, args, resolve, reject);
  }

  // What String(obj), `${obj}` and Object.prototype.toString show. Without it a
  // conversion would call the names toString and valueOf: two calls of Python, or two
  // rejections no one handles (which end a Node process), then a TypeError.
  const label = `pywebworker ${name}`;
  const toPrimitive = (hint) => (hint === "number" ? NaN : `[object ${label}]`);

  const target = Object.create(null);
  const proxy = new Proxy(target, {
    get(t, prop) {
      if (prop === PWW_PAGE) return true;
      if (prop === Symbol.toPrimitive) return toPrimitive;
      if (prop === Symbol.toStringTag) return label;
      if (typeof prop !== "string" || prop === "then" || prop === "toJSON") return undefined;
      if (prop === "ready") return ready;
      return fnFor(prop);
    },
    has: (t, prop) => prop === "ready" || names.has(prop),
    ownKeys: () => [...names],
    getOwnPropertyDescriptor: (t, prop) => (typeof prop === "string" && names.has(prop)
      ? { value: fnFor(prop), writable: false, enumerable: true, configurable: true } : undefined),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    // Forwarded, these would change the target: a non-extensible one makes every later
    // Object.keys and property descriptor of a name a TypeError (Proxy invariants).
    preventExtensions: () => false,
    setPrototypeOf: () => false,
  });
  // A read-only global (globalThis.undefined, a frozen property, a setter) ignores the
  // assignment, or throws in strict code: refused, rather than an object no page sees.
  try {
    g[name] = proxy;
  } catch (_) { /* checked below */ }
  if (g[name] !== proxy) return `globalThis.${name} cannot be set (a read-only property): choose another name`;
  if (g[flag] !== true) g[flag] = false;

  return {
    // Python registered `added` (and unregistered `removed`): the names calls may use.
    update(added, removed) {
      for (const n of removed || []) { names.delete(String(n)); fns.delete(String(n)); }
      for (const n of added || []) names.add(String(n));
      if (!readyScheduled && names.size) {
        readyScheduled = true;
        Promise.resolve().then(becomeReady);
      }
    },
    // Python's answer to call `id`; false when the call is no longer pending.
    settle(id, ok, json, bufs) {
      const p = pending.get(id);
      if (p === undefined) return false;
      pending.delete(id);
      try {
        if (ok) {
          p.resolve(pwwUnpack(json, bufs && Array.from(bufs)));
        } else {
          const e = JSON.parse(json);
          if (e.js === "TypeError") p.reject(new TypeError(e.message));
          else p.reject(new PwwPythonError(String(e.message), String(e.type), String(e.traceback || "")));
        }
      } catch (e) {
        p.reject(e);
      }
      return true;
    },
    pendingCount: () => pending.size + early.length,
    // Remove the object: calls waiting or running reject.
    close() {
      if (closed) return;
      closed = true;
      names.clear();
      if (g[name] === proxy) delete g[name];
      g[flag] = false;
      if (!isReady) readyReject(closedError());
      for (const [, , , reject] of early.splice(0)) reject(closedError());
      for (const p of pending.values()) p.reject(closedError());
      pending.clear();
    },
  };
}
