# The original PyWebWorker README flow (version 0.0.6), notebook style: each "# %%" block
# is a cell. Run it with `node examples/run_node.mjs examples/readme_flow.py` (or
# `make examples`), or paste the cells into a JupyterLite notebook after
# `await micropip.install("pywebworker")`.
#
# Two differences from 0.0.6, both because of what a worker is:
# - the README's script is JavaScript, so the class is JsWorker (0.0.6 called it
#   PyWorker; `Worker` is an alias of JsWorker). PyWorker now runs Python.
# - an echo needs the event loop to turn: in a notebook, the time between two cells is
#   enough; in one script, `await worker.receive()` or `await asyncio.sleep()` gives it.
import asyncio

# %% Start the README's echo worker.
from pywebworker.worker import JsWorker

script = '''
console.log('worker created');
self.onmessage = function(message){
    console.log('Received: ' + message.data);
    self.postMessage(message.data);
}
'''

worker = JsWorker(script)
worker.start()
worker.send_message('This is the first message')
await worker.ready()  # in a notebook: just run the next cell a moment later


async def settle(n: int) -> None:
    """Wait until at least n messages are unread (a cell run a moment later)."""
    while len(worker.get_unread_messages()) < n:
        await asyncio.sleep(0.01)


# %% Messages have a .read() method, so you know what has and has not been processed.
await settle(1)
messages = worker.get_unread_messages()
print([message.read() for message in messages])

# %% has_unread_messages() checks for anything new.
worker.send_message('This is the second message')
await settle(1)
print(worker.has_unread_messages())

# %% Each message knows whether it was opened.
first_message = worker.get_message(0)
second_message = worker.get_message(1)
print(first_message.is_opened())
print(second_message.is_opened())

# %% _update_messages() is kept for 0.0.6 code; messages are always current now.
worker.send_message('This is the third message')
await settle(2)
worker._update_messages()  # noqa: SLF001 - the 0.0.6 README calls it
print(worker.get_message(2).read())

# %% kill() stops the worker at once and says how many sent messages never arrived.
print("undelivered:", worker.kill(), "| state:", worker.state)
print("still readable after kill:", worker.get_message(1).read())
