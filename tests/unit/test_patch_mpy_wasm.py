"""tools/patch_mpy_wasm.py: MicroPython's estimate of a new heap area's tables, 13/512 of
an allocation, becomes 17/512 in the port's wasm (once, found by the code around it), so
that a worker can make a str or bytes larger than its heap."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
_spec = importlib.util.spec_from_file_location("patch_mpy_wasm", ROOT / "tools" / "patch_mpy_wasm.py")
assert _spec and _spec.loader
patch_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(patch_mod)

NPM_WASM = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript" / "micropython.wasm"


def _needed(k: int, a: int = 0, b: int = 3) -> bytes:
    """The instructions computing `needed` in gc_try_add_heap, locals a and b, factor k."""
    return (
        bytes([0x20, a, 0x41, k, 0x6C, 0x22, b]) + b"\x41\x80\x80\xc0\x00"
        + bytes([0x20, b]) + b"\x41\x80\x80\xc0\x00\x4b\x1b\x41\x09\x76" + bytes([0x20, a, 0x6A])
    )


def test_the_factor_is_patched_once_and_a_patched_wasm_is_kept() -> None:
    data = b"\x00asm" + b"\x41\x0d\x6c" * 3 + _needed(13, 1, 4) + b"\x0b"
    out = patch_mod.patch(data)
    assert out == data.replace(_needed(13, 1, 4), _needed(17, 1, 4))
    assert len(out) == len(data)
    assert patch_mod.patch(out) == out


@pytest.mark.parametrize("data", [b"\x00asm", _needed(13) * 2, _needed(13) + _needed(17), _needed(13, 1, 3)[:-1]])
def test_not_once_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not once"):
        patch_mod.patch(b"\x00asm" + data)


def test_the_wheels_wasm_is_the_npm_one_patched() -> None:
    built = ROOT / "pywebworker" / "micropython" / "micropython.wasm"
    if not (NPM_WASM.exists() and built.exists()):
        pytest.skip("no MicroPython wasm here (npm install, make wheel)")
    npm = NPM_WASM.read_bytes()
    assert built.read_bytes() == patch_mod.patch(npm) != npm
