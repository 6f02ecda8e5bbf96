"""Patch MicroPython's WebAssembly port (npm @micropython/micropython-webassembly-pyscript)
so that one str or bytes larger than its heap can be made.

When an allocation does not fit, MicroPython adds a heap area (py/gc.c gc_try_add_heap):
as large as the heap so far, or, for a larger allocation, `failed_alloc + failed_alloc *
13 / 512` bytes, its estimate of an area's tables. The build has weak references, whose
table (py/gc.c BLOCKS_PER_WTB) makes the tables 16/512 of the pool: the area is ~0.6 %
short, the allocation fails anyway, and in a fresh MicroPython worker (16 MiB heap) no
value of 16 MiB or more could ever be made (`b"x" * (16 << 20)`: MemoryError). 13 becomes
17 here: the area then holds the allocation, up to MicroPython's largest new area
(gc_get_max_new_split: 128 MiB).

The constant is found by the instructions around it (the computation of `needed`), which
must occur exactly once; a wasm already patched is left as it is. Any other wasm is
refused: a new release of the port needs this checked again (a MicroPython worker's test
of a 32 MiB value fails without it).

    python3 tools/patch_mpy_wasm.py pywebworker/micropython/micropython.wasm
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# (local.get A) (i32.const 13) (i32.mul) (local.tee B) (i32.const 1048576) (local.get B)
# (i32.const 1048576) (i32.gt_u) (select) (i32.const 9) (i32.shr_u) (local.get A) (i32.add):
# needed = MAX(2048, failed_alloc * 13 / 512) + failed_alloc, as the compiler wrote it.
_NEEDED = re.compile(
    rb"\x20([\x00-\x7f])\x41(?P<k>[\x0d\x11])\x6c\x22([\x00-\x7f])\x41\x80\x80\xc0\x00"
    rb"\x20\3\x41\x80\x80\xc0\x00\x4b\x1b\x41\x09\x76\x20\1\x6a",
    re.S,
)
_STOCK, _PATCHED = 13, 17


def patch(data: bytes) -> bytes:
    """``data`` (a micropython.wasm) with the area estimate patched.

    Raises
    ------
    ValueError
        if the computation is not found exactly once.
    """
    found = list(_NEEDED.finditer(data))
    if len(found) != 1:
        raise ValueError(
            f"gc_try_add_heap's estimate found {len(found)} times, not once: not the port this patch was made for"
        )
    at = found[0].start("k")
    if data[at] == _PATCHED:
        return data
    return data[:at] + bytes([_PATCHED]) + data[at + 1 :]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    data = path.read_bytes()
    try:
        out = patch(data)
    except ValueError as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    if out != data:
        path.write_bytes(out)
        print(f"{path}: gc_try_add_heap's area estimate {_STOCK}/512 -> {_PATCHED}/512")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
