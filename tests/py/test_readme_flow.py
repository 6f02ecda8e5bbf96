"""The original PyWebWorker README flow, each step a separate Python run (a notebook
cell), with the README's import, class name and echo script verbatim (a JsWorker)."""

from scripts import README_ECHO_JS

# Between cells the page's event loop runs; a cell that needs an echo waits for it
# (bounded), as a user re-running a cell would.
WAIT = """
from pyodide_waits import wait_until
async def wait_for_unread(worker, n):
    await wait_until(lambda: len(worker.get_unread_messages()) >= n, what=f"{n} unread messages")
"""


def test_readme_flow_across_cells(selenium_pyww):
    selenium_pyww.run(WAIT)
    selenium_pyww.run(
        # The 0.0.6 README's own import and class name: that PyWorker ran JavaScript.
        f"from pywebworker.worker import PyWorker\nscript = {README_ECHO_JS!r}\n"
        "worker = PyWorker(script)\nworker.start()\n"
        "worker.send_message('This is the first message')\n"
        "assert worker.get_unread_messages() == []  # nothing can have come back yet\n"
    )
    assert selenium_pyww.run_async(
        "await wait_for_unread(worker, 1)\n"
        "messages = worker.get_unread_messages()\n"
        "[message.read() for message in messages]"
    ) == ["This is the first message"]
    selenium_pyww.run("worker.send_message('This is the second message')")
    assert selenium_pyww.run_async("await wait_for_unread(worker, 1)\nworker.has_unread_messages()") is True
    assert selenium_pyww.run(
        "first_message = worker.get_message(0)\nsecond_message = worker.get_message(1)\n"
        "[first_message.is_opened(), second_message.is_opened()]"
    ) == [True, False]
    selenium_pyww.run("worker.send_message('This is the third message')")
    assert selenium_pyww.run_async(
        "await wait_for_unread(worker, 2)\nworker._update_messages()\nworker.get_message(2).read()"
    ) == "This is the third message"
    assert selenium_pyww.run("[m.is_opened() for m in worker.get_messages()]") == [True, False, True]
    assert selenium_pyww.run("worker.kill()") == 0
    assert selenium_pyww.run("worker.state") == "killed"
    # Received messages stay readable after kill.
    assert selenium_pyww.run("worker.get_message(1).read()") == "This is the second message"
