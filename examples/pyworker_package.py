# A PyWorker with a package: syntax-highlight Python source with Pygments in a worker,
# so a large file never freezes the page or the kernel. Notebook style ("# %%" cells).
#
#   node examples/run_node.mjs examples/pyworker_package.py     (or: make examples)
#
# `packages=[...]` is installed by micropip inside the worker before its script runs:
# any package of the worker's Pyodide distribution or a pure-Python wheel micropip can
# reach. (Offline here, Pygments comes from build/pyodide/314.0.7/; with the CDN
# Pyodide, numpy, pandas, ... work the same way.)

# %% Start the worker: its own Pyodide, then micropip installs Pygments there.
import inspect
import json

from pywebworker import PyWorker

highlighter = PyWorker("""
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from pywebworker import parent

def on_message(message):
    job = message.read()
    html = highlight(job["source"], PythonLexer(), HtmlFormatter(nowrap=True))
    parent.send_message({"name": job["name"], "html": html, "lines": job["source"].count("\\n")})

parent.on_message = on_message
""", packages=["pygments"], name="highlighter").start()

# Messages sent now wait in the queue until the worker is running.
fib = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
highlighter.send_message({"name": "fib.py", "source": fib})
await highlighter.ready(timeout=120)

# %% The reply: HTML to put in the page (in JupyterLite: IPython.display.HTML).
reply = (await highlighter.receive(timeout=60)).read()
print(reply["name"], reply["lines"], "lines ->", reply["html"][:70], "...")

# %% A bigger job: the main thread stays free while the worker works.
source = inspect.getsource(json.decoder)
highlighter.send_message({"name": "json/decoder.py", "source": source})
reply = (await highlighter.receive(timeout=60)).read()
print(reply["name"], reply["lines"], "lines,", len(reply["html"]), "characters of HTML")

# %%
highlighter.kill()
