"""Every ```python block of README.md runs, in order, as notebook cells in Pyodide
(``py`` blocks are fragments and are not run). The one change: micropip installs
from the local index instead of PyPI."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_blocks_run(selenium_pyww, pyww_index_url):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 5
    for block in blocks:
        code = block.replace(
            'await micropip.install("pywebworker")',
            f'await micropip.install("pywebworker", index_urls=[{pyww_index_url!r}])',
        )
        selenium_pyww.run_async(code)
    assert selenium_pyww.run("echo.state, worker.state") == ["killed", "killed"]
