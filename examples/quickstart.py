# Quickstart, notebook style: each "# %%" block is a cell. Run it with `make demo`
# (Pyodide on Node) or paste the cells into a JupyterLite notebook after
# `await micropip.install("pywebworker")`.

# %% A JavaScript worker: the echo script from the original PyWebWorker README.
from pywebworker import JsWorker, PyWorker, WorkerPool, workers

echo = JsWorker("""
console.log('worker created');
self.onmessage = function(message){
    console.log('Received: ' + message.data);
    self.postMessage(message.data);
}
""").start()
echo.send_message("This is the first message")      # queued until the worker runs
echo.send_message({"numbers": [1, 2, 3], "ok": True})  # JSON-compatible data
echo.send_message(bytes(range(5)))                  # arrives as an ArrayBuffer
await echo.ready()

# %% Come back later: what arrived is kept, with read flags.
for _ in range(3):
    await echo.receive(timeout=10)                   # or poll: echo.get_unread_messages()
print("echo messages:", [m.read() for m in echo.get_messages()])
print("first opened?", echo.get_message(0).is_opened(), "| unread left:", echo.has_unread_messages())

# %% A Python worker: its own Pyodide, computing while this side stays free.
primes = PyWorker("""
from pywebworker import parent

def count_primes(limit):
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\\x00\\x00"
    for i in range(2, int(limit ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, limit, i)))
    return sum(sieve)

async def on_message(message):
    limit = message.read()
    print(f"worker: counting primes below {limit}")
    parent.send_message({"limit": limit, "primes": count_primes(limit)})

parent.on_message = on_message
""", name="primes").start()
primes.send_message(10**6)
await primes.ready(timeout=60)
reply = await primes.receive(timeout=60)
print("primes worker says:", reply.read())

# %% A pool: a function defined here runs in two workers at once, sent by value
# (cloudpickle); results come back in input order.
def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


async with WorkerPool(2, name="pool") as pool:
    steps = await pool.map(collatz_steps, range(1, 100_001))
    print("pool of 2 workers:", max(steps), "steps, the longest Collatz chain below 100 000;", repr(pool))

# %% A named MicroPython worker (PyScript's create_named_worker / workers["name"]):
# it starts in about a tenth of a second; config= takes PyScript's keys.
PyWorker("""
import sys
from pywebworker import parent

def greet(who):
    return f"hello {who}, from {sys.implementation.name} ({' '.join(sys.argv)})"

__export__ = ["greet"]
""", interpreter="micropython", name="greeter", config={"argv": ["greeter", "--polite"]}).start()
greeter = await workers["greeter"]                    # any code can look it up by name
print(await greeter.exports.greet("notebook"))

# %% Kill them; kill() reports messages that were never delivered.
print("undelivered:", echo.kill(), primes.kill(), greeter.kill(), "| states:", echo.state, primes.state, greeter.state)
