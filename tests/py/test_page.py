"""pywebworker.page in real Pyodide (Node, a Chromium page, Pyodide inside a worker): JS
calls `backend.*` and Python answers, from a binding here or a task in a worker. The page
with buttons and frames is tests/py/test_page_web.py; the pieces alone are
tests/unit/test_page.py and tests/js/test_page.mjs."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide
async def test_bindings_and_tasks_called_from_javascript(selenium_pyww):
    import asyncio

    from pyodide.code import run_js

    from pywebworker import page

    def hello():
        return "Hello from Python!"

    def greet(name):
        return f"Hello, {name} from Python!"

    async def later(x):
        await asyncio.sleep(0.01)
        return {"x": x, "async": True}

    def digest(data, tag):
        import hashlib

        return {"tag": tag, "sha": hashlib.sha256(data).hexdigest(), "back": data[::-1]}

    def boom(n):
        return n / 0

    import builtins

    builtins.on_the_host = True

    def in_worker(x):
        import builtins

        return [x * 2, hasattr(builtins, "on_the_host")]

    def task_fails(name):
        raise LookupError(f"no {name} here")

    calls_before = run_js("globalThis.backend === undefined && globalThis.backendloaded === undefined")
    assert calls_before
    page.register_binding(hello)
    page.register_bindings([greet, later, digest, boom])
    page.register_task(in_worker)
    page.register_tasks([task_fails])
    # A call in the same task as the registrations: it waits for `ready`.
    early = run_js("backend.hello()")
    assert run_js("globalThis.backendloaded") is False
    got = await run_js("""(async () => {
      const out = {};
      out.ready = (await backend.ready) === backend && globalThis.backendloaded === true;
      out.hello = await backend.hello();
      out.greet = await backend.greet("Ada");
      out.later = await backend.later(5);
      const d = await backend.digest(new Uint8Array([1, 2, 3]), "t");
      out.digest = [d.tag, d.sha, Array.from(d.back), Object.prototype.toString.call(d.back)];
      const buf = await backend.digest(new Uint8Array([7, 8]).buffer, "ab");
      out.arraybuffer = Array.from(buf.back);
      try { await backend.boom(1); } catch (e) {
        out.boom = [e instanceof Error, e.name, e.message, e.pythonType, e.pythonTraceback];
      }
      try { await backend.nope(); } catch (e) { out.nope = [e instanceof TypeError, e.message]; }
      try { await backend.greet(new Map()); } catch (e) { out.map = [e instanceof TypeError, e.message]; }
      out.task = await backend.in_worker(21);
      try { await backend.task_fails("x"); } catch (e) {
        out.task_fails = [e.name, e.message, e.pythonType, e.pythonTraceback];
      }
      const many = await Promise.all(Array.from({ length: 50 }, (_, i) => backend.in_worker(i)));
      out.many = many.map((r) => r[0]);
      out.keys = Object.keys(backend).sort();
      return out;
    })()""")
    got = got.to_py()
    assert await early == "Hello from Python!"
    assert got["ready"] is True
    assert got["hello"] == "Hello from Python!" and got["greet"] == "Hello, Ada from Python!"
    assert got["later"] == {"x": 5, "async": True}
    import hashlib

    assert got["digest"] == ["t", hashlib.sha256(b"\x01\x02\x03").hexdigest(), [3, 2, 1], "[object Uint8Array]"]
    assert got["arraybuffer"] == [8, 7]
    is_error, name, message, ptype, tb = got["boom"]
    assert is_error and name == "PythonError" and message == "division by zero" and ptype == "ZeroDivisionError"
    assert "in boom" in tb and tb.endswith("ZeroDivisionError: division by zero\n")
    assert got["nope"] == [True, "backend.nope is not registered; registered: boom, digest, greet, hello, "
                                 "in_worker, later, task_fails"]
    assert got["map"][0] and "an argument of backend.greet() cannot be carried: a Map at [0]" in got["map"][1]
    assert got["task"] == [42, False]  # it ran in a PyWorker of the pool, not here
    name, message, ptype, tb = got["task_fails"]
    assert (name, ptype) == ("PythonError", "LookupError") and message == "no x here"
    assert "in task_fails" in tb  # the worker's traceback
    assert got["many"] == [2 * i for i in range(50)]
    assert got["keys"] == sorted(page.backend.names)
    pool = page.backend.pool
    assert pool is not None and pool.name == "backend-tasks" and pool.done == 51 and pool.failed == 1
    page.backend.close()
    assert run_js("globalThis.backend === undefined && globalThis.backendloaded === false")
    await asyncio.wait_for(pool.close(), 10)


@run_in_pyodide
async def test_page_object_errors_and_a_second_object(selenium_pyww):
    import asyncio

    import pytest
    from pyodide.code import run_js

    from pywebworker.page import Backend

    run_js("globalThis.taken = {mine: true}")
    with pytest.raises(ValueError, match=r"globalThis.taken already exists"):
        Backend("taken").register_binding(print)
    api = Backend("api")

    async def forever():
        await asyncio.Event().wait()

    api.register_binding(lambda: 2**60, name="huge")
    api.register_binding(lambda: {1}, name="a_set")
    api.register_binding(forever)

    def leave():
        raise SystemExit(4)

    api.register_binding(leave)
    got = (await run_js("""(async () => {
      await api.ready;
      const out = { loaded: globalThis.apiloaded };
      for (const name of ["huge", "a_set", "leave"]) {
        try { await api[name](); out[name] = "resolved"; } catch (e) {
          out[name] = [e.name, e.message, e.pythonType || null];
        }
      }
      globalThis.pending = api.forever();
      globalThis.pending.catch((e) => { globalThis.pendingError = e.message; });
      return out;
    })()""")).to_py()
    assert got["loaded"] is True
    assert got["huge"][0] == "TypeError" and "the result of api.huge()" in got["huge"][1] and "2**53" in got["huge"][1]
    assert got["a_set"][0] == "TypeError" and "set" in got["a_set"][1]
    assert got["leave"] == ["PythonError", "4", "SystemExit"]  # the host's Python goes on
    api.unregister("huge")
    gone = (await run_js("api.huge().then(() => 'resolved', (e) => e.message)"))
    assert gone == "api.huge is not registered; registered: a_set, forever, leave"
    api.register_binding(lambda: "back", name="huge")
    assert await run_js("api.huge()") == "back"
    await asyncio.sleep(0.05)
    assert len(api._running) == 1
    api.close()  # the forever binding is cancelled; the page's call rejects
    await asyncio.sleep(0.05)
    assert run_js("globalThis.pendingError") == "pywebworker: api was closed"
    assert not api._running and run_js("globalThis.api === undefined")


@run_in_pyodide
async def test_in_a_worker_hosted_pyodide(selenium_pyww_worker):
    # Pyodide inside a Web Worker (as a JupyterLite kernel): the object lives on the
    # worker's global scope and its loaded event is dispatched there.
    from pyodide.code import run_js

    from pywebworker import page

    run_js("globalThis.events = []; addEventListener('backendloaded', (e) => events.push(e.type))")
    page.register_binding(lambda a, b: a + b, name="add")
    got = (await run_js("(async () => { await backend.ready; return [await backend.add(2, 3), events]; })()")).to_py()
    assert got == [5, ["backendloaded"]]
    page.backend.close()


# A hostile page and notebook: what only the real event loop and JS engine show (an
# exception leaving Pyodide's event loop ends a Node process). The pieces are in
# tests/unit/test_page.py and tests/js/test_page.mjs.
@run_in_pyodide
async def test_hostile_bindings_leave_the_page_and_process_alive(selenium_pyww):
    import asyncio

    import pytest
    from pyodide.code import run_js
    from pyodide.ffi import JsException

    from pywebworker import page

    async def interrupted():
        await asyncio.sleep(0)
        raise KeyboardInterrupt("stop")

    async def leaves():
        await asyncio.sleep(0)
        raise SystemExit(7)

    def lone(s):
        return [s, "\ud800x\udc00"]

    gate = asyncio.get_event_loop().create_future()
    page.backend.close()  # a notebook's earlier cell
    page.register_bindings([interrupted, leaves, lone])
    page.register_binding(lambda: gate, name="future")
    got = (await run_js("""(async () => {
      await backend.ready;
      const out = {};
      for (const name of ["interrupted", "leaves"]) {
        try { await backend[name](); out[name] = "resolved"; } catch (e) {
          out[name] = [e.name, e.message, e.pythonType];
        }
      }
      const l = await backend.lone("\\ud800a");
      out.lone = [l[0] === "\\ud800a", l[1] === "\\ud800x\\udc00"];
      out.text = [String(backend), `${backend}`];
      globalThis.futureCall = backend.future();
      return out;
    })()""")).to_py()
    assert got["interrupted"] == ["PythonError", "stop", "KeyboardInterrupt"]
    assert got["leaves"] == ["PythonError", "7", "SystemExit"]
    assert got["lone"] == [True, True]
    assert got["text"] == ["[object pywebworker backend]"] * 2
    gate.set_result({"n": 1})  # an asyncio.Future returned by a plain function
    assert (await run_js("futureCall")).to_py() == {"n": 1}

    # Closed, then used again through the module's functions (a notebook's next cell).
    page.backend.close()
    page.register_binding(lambda: "again", name="again")
    assert await run_js("backend.again()") == "again"

    # Closed before ready: ready rejects rather than leaving the page waiting.
    page.backend.close()
    page.register_binding(lambda: 0, name="zero")
    ready = run_js("backend.ready")
    page.backend.close()
    with pytest.raises(JsException, match="backend was closed"):
        await asyncio.wait_for(ready, 5)
    assert run_js("globalThis.backend === undefined && globalThis.backendloaded === false")
