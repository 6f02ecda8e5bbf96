"""A minimal pure-Python wheel for the tests' local indexes, written by hand: building
one with ``python -m build`` would need setuptools from PyPI in an isolated env just to
test the index plumbing."""

import base64
import hashlib
import zipfile
from pathlib import Path


def build_wheel(out_dir: Path, name: str, version: str = "0.1.0", value: int = 42) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` into ``out_dir``: a module holding
    ``VALUE = value`` and ``__version__``; returns the wheel's path."""
    mod = name.replace("-", "_")
    files = {
        f"{mod}/__init__.py": f"VALUE = {value}\n__version__ = {version!r}\n",
        f"{mod}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{mod}-{version}.dist-info/WHEEL":
            "Wheel-Version: 1.0\nGenerator: pyww-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = f"{mod}-{version}.dist-info/RECORD"
    whl = out_dir / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as zf:
        lines = []
        for path, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append(f"{path},sha256={digest},{len(data)}")
            zf.writestr(path, data)
        zf.writestr(record, "\n".join([*lines, f"{record},,"]) + "\n")
    return whl
