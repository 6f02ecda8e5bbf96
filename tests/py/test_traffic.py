"""10 000 messages each way: order kept, none lost or duplicated; messages sent
before the worker runs arrive first and in order."""

from pytest_pyodide import run_in_pyodide
from scripts import ECHO_JS, ECHO_PY


@run_in_pyodide
async def _ten_thousand_each_way(selenium, cls_name, script):
    from pyodide_waits import stays, wait_until

    import pywebworker

    n_early, n_late = 2_000, 8_000
    w = getattr(pywebworker, cls_name)(script)
    for i in range(n_early):  # queued in the core's outbound queue before start
        w.send_message(f"early {i}")
    w.start()
    await w.ready(timeout=60)
    for i in range(n_late):
        w.send_message(i if i % 2 else {"late": i})
    # Polled every 50 ms: each look builds up to 10 000 message objects.
    await wait_until(lambda: len(w.get_unread_messages()) >= n_early + n_late, timeout=120, interval=0.05,
                     what=f"{n_early + n_late} echoes")
    got = [m.read() for m in w.get_unread_messages()]
    want = [f"early {i}" for i in range(n_early)] + [i if i % 2 else {"late": i} for i in range(n_late)]
    assert got == want
    await stays(lambda: not w.has_unread_messages(), seconds=0.1, what="no duplicate")
    assert w.clear_read() == n_early + n_late
    assert w.get_messages() == []
    assert w.kill() == 0


def test_js_worker_10000_each_way(selenium_pyww):
    _ten_thousand_each_way(selenium_pyww, "JsWorker", ECHO_JS)


def test_py_worker_10000_each_way(selenium_pyww):
    _ten_thousand_each_way(selenium_pyww, "PyWorker", ECHO_PY)
