"""Worker scripts shared by the tests (plain strings, passed into Pyodide)."""

# The echo script of the original PyWebWorker README, verbatim (tabs included).
README_ECHO_JS = """
console.log('worker created');
self.onmessage = function(message){
\tconsole.log('Received: ' + message.data);
\tself.postMessage(message.data);
}
"""

# Echo without logging, for traffic tests.
ECHO_JS = "self.onmessage = (e) => self.postMessage(e.data);"

# A Python echo: every message goes back as it came (text, bytes, JSON).
ECHO_PY = """
from pywebworker import parent
parent.on_message = lambda message: parent.send_message(message.read())
"""
