# Handing binary data to workers and back, notebook style ("# %%" cells).
#
#   node examples/run_node.mjs examples/binary_handoff.py       (or: make examples)
#
# bytes, bytearray and memoryview are sent as binary: the worker gets an ArrayBuffer
# (JsWorker) or bytes (PyWorker). On the way, the payload is copied once into the C
# core's queue and then *transferred* to the worker (no structured clone); a PyWorker
# transfers what it sends back too. What you get back is `bytes`.
import hashlib

from pywebworker import JsWorker, PyWorker

# A 4 MiB "image": 1024 x 1024 RGBA pixels.
width = height = 1024
image = bytearray(width * height * 4)
for y in range(0, height, 64):
    image[y * width * 4 : (y + 1) * width * 4] = bytes([255, y // 4, 0, 255]) * width

# %% JavaScript worker: invert the colours of an RGBA buffer with a typed array.
inverter = JsWorker("""
onmessage = (e) => {
  const px = new Uint8Array(e.data);          // e.data is an ArrayBuffer
  for (let i = 0; i < px.length; i += 4) {
    px[i] = 255 - px[i]; px[i + 1] = 255 - px[i + 1]; px[i + 2] = 255 - px[i + 2];
  }
  postMessage(px.buffer, [px.buffer]);        // transfer it back: no copy
};
""").start()
inverter.send_message(image)
inverted = (await inverter.receive(timeout=30)).read()
print("JsWorker:", type(inverted).__name__, len(inverted), "bytes; first pixel", list(inverted[:4]))
inverter.kill()

# %% Python worker: hash chunks of a memoryview without blocking this side.
hasher = PyWorker("""
import hashlib
from pywebworker import parent

def on_message(message):
    data = message.read()                      # bytes
    parent.send_message({"n": len(data), "sha256": hashlib.sha256(data).hexdigest()})

parent.on_message = on_message
""", name="hasher").start()

view = memoryview(image)
chunk = len(image) // 4
for i in range(4):
    hasher.send_message(view[i * chunk : (i + 1) * chunk])   # a slice: no copy in Python
await hasher.ready(timeout=120)
for i in range(4):
    got = (await hasher.receive(timeout=60)).read()
    want = hashlib.sha256(view[i * chunk : (i + 1) * chunk]).hexdigest()
    print(f"chunk {i}: {got['n']} bytes, sha256 {got['sha256'][:16]}... matches: {got['sha256'] == want}")

# %% And bytes back from Python: the worker transfers its buffer to the host.
hasher_echo = PyWorker("""
from pywebworker import parent
parent.on_message = lambda m: parent.send_message(m.read()[::-1])
""", name="reverser").start()
hasher_echo.send_message(b"pywebworker")
await hasher_echo.ready(timeout=120)
print("reversed:", (await hasher_echo.receive(timeout=60)).read())

# %%
hasher.kill()
hasher_echo.kill()
