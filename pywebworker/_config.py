"""A PyWorker's ``config=``: PyScript's configuration keys, parsed and checked.

Plain Python (no JavaScript): the host checks a dict, JSON or TOML text when the
PyWorker is made; a config given as a URL is fetched by the worker
(``js/pyworker.js``), which parses it with the same functions here
(``_boot.load_config``), so both fail alike, with ``ValueError`` naming the key.

PyScript's keys and their meaning follow PyScript (its ``config.js`` and polyscript's
``calculateFilesPaths``): a string is JSON text when it is ``{...}``, a URL when it
ends in a suffix (``.json`` or ``.toml``, a query or fragment allowed), else TOML text; in
``files``, ``"{NAME}": "value"`` keys define templates used by later keys, a
destination ending in ``/`` keeps the URL's file name, and one ending in ``/*``
unpacks the archive there. Relative URLs in a fetched config mean the config's own
URL, as in PyScript.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Ours and PyScript's that mean something in a worker.
KEYS = ("packages", "files", "env", "argv", "cwd", "interpreter")
# PyScript keys about the page, not what a worker's script sees: accepted and ignored,
# so that one pyscript.json serves the page and its workers.
IGNORED = ("plugins", "sync_main_only", "experimental_create_proxy", "experimental_ffi_timeout", "packages_cache")
# PyScript keys a worker here cannot honour: refused, rather than a script that
# fails later for a reason nobody sees.
UNSUPPORTED = {
    "js_modules": "JavaScript modules are not imported into a PyWorker (use pyodide.code or js.eval)",
    "fetch": "the old `fetch` key is gone from PyScript too: use `files`",
    "experimental_remote_packages": "remote package descriptions are not supported: list wheels or names in `packages`",
}
ARCHIVES = (".zip", ".whl", ".tgz", ".tar.gz", ".tar")  # as polyscript's getFormat
CDN = "https://cdn.jsdelivr.net/pyodide/v{}/full/"  # PyScript's URL for an `interpreter` version
_TEMPLATE = re.compile(r"\{.+?\}")
_SUFFIX = re.compile(r"\.(\w+)(?:[?#]\S*)?$")  # PyScript configDetails: a URL by its suffix
_VERSION = re.compile(r"^\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc|\.dev)\d+)?$")


@dataclass
class WorkerConfig:
    """A checked config. ``files`` are ``(url, destination)`` pairs, templates filled
    in, a destination ending in ``/*`` meaning "unpack the archive here"; ``index_url``
    comes from PyScript's ``interpreter`` key. ``None``: not given."""

    packages: list[str] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    env: dict[str, str] | None = None
    argv: list[str] | None = None
    cwd: str | None = None
    index_url: str | None = None

    def worker_part(self, url: str | None = None) -> dict[str, Any]:
        """What the worker applies itself (``PyStart.config``, ``js/pyworker.js``):
        ``url`` (a config to fetch first), ``files``, ``env``, ``argv``, ``cwd``."""
        return {"url": url, "files": [list(f) for f in self.files], "env": self.env, "argv": self.argv,
                "cwd": self.cwd}


def load(config: Mapping[str, Any] | str | WorkerConfig) -> WorkerConfig | str:
    """Parse and check ``config=``.

    Parameters
    ----------
    config : Mapping | str | WorkerConfig
        A dict; JSON text (``{...}``); the URL of a ``.json`` or ``.toml`` file; or
        TOML text (a string that is neither), as PyScript reads its ``config``.

    Returns
    -------
    WorkerConfig | str
        The checked config, or the URL (a str) for the worker to fetch (unchecked:
        ``from_text`` checks it there).

    Raises
    ------
    TypeError
        if ``config`` is not a mapping or a string.
    ValueError
        for text that does not parse, an unknown or unsupported key, or a value of the
        wrong type, naming the key.
    """
    if isinstance(config, WorkerConfig):
        return config
    if isinstance(config, Mapping):
        return check(config)
    if not isinstance(config, str):
        raise TypeError(f"config must be a dict, JSON or TOML text, or a URL, not {type(config).__name__}")
    text = config.strip()
    if text.startswith("{") and text.endswith("}"):
        return check(_parse(text, "json", "config"))
    match = _SUFFIX.search(text)
    if match is not None and "\n" not in text:
        if match.group(1).lower() not in ("json", "toml"):
            raise ValueError(f"config URL {text!r} must end in .json or .toml (as in PyScript)")
        return text
    return check(_parse(text, "toml", "config"))


def from_text(text: str, url: str) -> WorkerConfig:
    """A config fetched from ``url`` (TOML if its path ends in ``.toml``, else JSON),
    checked; relative URLs in it resolved against ``url``.

    Raises
    ------
    ValueError
        as ``load``, the message naming ``url``; also for ``interpreter``, which a
        fetched config cannot honour (the worker has loaded its Pyodide already).
    """
    path = _urlsplit(url).path if "://" in url else url
    fmt = "toml" if path.lower().endswith(".toml") else "json"
    where = f"config {url}"
    config = check(_parse(text, fmt, where), where=where, base=url)
    if config.index_url is not None:
        raise ValueError(f"{where}: 'interpreter' cannot be given in a config URL (the worker has loaded its "
                         "Pyodide when it reads it): pass index_url= or give the config as a dict or text")
    return config


def _parse(text: str, fmt: str, where: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{where} is not valid JSON: {exc}") from None
    import tomllib  # Python >= 3.11: every Pyodide this package supports

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where} is not valid TOML: {exc}") from None


def check(data: Any, *, where: str = "config", base: str | None = None) -> WorkerConfig:
    """Check a parsed config (a dict) key by key.

    Parameters
    ----------
    data : Any
        What JSON or TOML gave, or the user's dict.
    where : str
        How error messages name the config.
    base : str | None
        Resolve relative URLs (wheels in ``packages``, ``files``) against it; ``None``
        leaves them as they are.

    Raises
    ------
    ValueError
        naming the first bad key (and the allowed keys for an unknown one).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a table of keys (a JSON object), not {type(data).__name__}")
    out = WorkerConfig()
    for key, value in data.items():
        if key in IGNORED:
            continue
        if key in UNSUPPORTED:
            raise ValueError(f"{where}: pywebworker does not support PyScript's {key!r} key: {UNSUPPORTED[key]}")
        if key not in KEYS:
            allowed = ", ".join(KEYS)
            raise ValueError(f"{where}: unknown key {key!r} (allowed: {allowed}; ignored: {', '.join(IGNORED)})")
        what = f"{where}: {key!r}"
        if key == "packages":
            out.packages = [_join(base, p) if p.endswith(".whl") else p for p in _str_list(value, what)]
        elif key == "files":
            out.files = [(_join(base, url), dest) for url, dest in files(value, what)]
        elif key == "env":
            out.env = _env(value, what)
        elif key == "argv":
            out.argv = _str_list(value, what, empty_ok=True)
        elif key == "cwd":
            out.cwd = _path(value, what)
        else:
            out.index_url = interpreter(value, what, base)
    return out


def _join(base: str | None, url: str) -> str:
    from urllib.parse import urljoin

    return url if base is None else urljoin(base, url)


def _str_list(value: Any, what: str, empty_ok: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings, not {_describe(value)}")
    if not empty_ok and any(not v for v in value):
        raise ValueError(f"{what} holds an empty string")
    return list(value)


def _env(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a table of strings (names to values), not {_describe(value)}")
    env = {}
    for name, text in value.items():
        if not isinstance(name, str):
            raise ValueError(f"{what}: the name {name!r} must be a string, not {type(name).__name__}")
        if not isinstance(text, str):
            raise ValueError(f"{what}: the value of {name!r} must be a string, not {_describe(text)}")
        if not name or "=" in name or "\0" in name or "\0" in text:
            raise ValueError(f"{what}: {name!r} is not a valid environment variable name (or its value holds NUL)")
        _utf8(name, f"{what}: the name {name!r}")
        _utf8(text, f"{what}: the value of {name!r}")
        env[name] = text
    return env


def _path(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or "\0" in value:
        raise ValueError(f"{what} must be a non-empty path string, not {_describe(value)}")
    return _utf8(value, what)


def _utf8(text: str, what: str) -> str:
    """``text`` if UTF-8 can encode it: environment variables and file names in the
    worker are UTF-8 bytes, which a lone surrogate (``"\\ud800"``) has none of."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} holds a lone surrogate ({text!r}), which UTF-8 cannot encode") from None
    return text


def files(value: Any, what: str = "config: 'files'") -> list[tuple[str, str]]:
    """PyScript's ``files`` table as ``(url, destination)`` pairs (polyscript's
    ``calculateFilesPaths``): ``"{NAME}": "value"`` keys define templates for the keys
    and destinations after them; an empty destination is ``./``; one ending in ``/``
    gets the URL's file name (without its query); one ending in ``/*`` unpacks an
    archive (.zip, .whl, .tgz, .tar.gz, .tar) into that directory.

    Raises
    ------
    ValueError
        for a value that is not a table of strings, an undefined template, a
        destination given twice, an archive of another kind.
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a table of URLs to paths, not {_describe(value)}")
    templates: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for source, dest in value.items():
        if not isinstance(source, str):
            raise ValueError(f"{what}: the URL {source!r} must be a string, not {type(source).__name__}")
        if not isinstance(dest, str):
            raise ValueError(f"{what}: the destination of {source!r} must be a string, not {_describe(dest)}")
        if re.fullmatch(r"\{.+\}", source):
            templates[source] = _fill(dest, templates, what)
            continue
        url = _fill(source, templates, what)
        if not url.strip():
            raise ValueError(f"{what}: an empty URL ({source!r}) for {dest!r}")
        path = _utf8(_fill(dest, templates, what) or "./", f"{what}: the destination of {url!r}")
        name = posixpath.basename(_urlsplit(url).path)
        if path.endswith("/*"):
            if not name.lower().endswith(ARCHIVES):
                raise ValueError(f"{what}: {url!r} is not an archive pywebworker unpacks ({', '.join(ARCHIVES)})")
        elif path.endswith("/"):
            if not name:
                raise ValueError(f"{what}: {url!r} has no file name for the destination {path!r}")
            path += name
        if "\0" in path:
            raise ValueError(f"{what}: the destination {path!r} holds NUL")
        if path in seen and not path.endswith("/*"):
            raise ValueError(f"{what}: the destination {path!r} is given twice")
        seen.add(path)
        out.append((url, path))
    return out


def _fill(text: str, templates: dict[str, str], what: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) not in templates:
            raise ValueError(f"{what}: the template {m.group(0)} in {text!r} is not defined before it")
        return templates[m.group(0)]

    return _TEMPLATE.sub(one, text)


def interpreter(value: Any, what: str = "config: 'interpreter'", base: str | None = None) -> str:
    """PyScript's ``interpreter`` as an ``index_url``: the URL of ``pyodide.mjs`` (its
    directory is taken), a directory URL ending in ``/``, or a Pyodide version, which
    means jsDelivr's copy as in PyScript.

    Raises
    ------
    ValueError
        for anything else (a MicroPython or other interpreter: use ``index_url``).
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a Pyodide version or the URL of pyodide.mjs, not {_describe(value)}")
    if _VERSION.match(value):
        return CDN.format(value)
    path = _urlsplit(value).path if "://" in value else value
    if path.endswith("/"):
        return _join(base, value)
    if path.endswith(".mjs") or path.endswith(".js"):
        return _join(base, value[: value.rfind("/") + 1] or "./")
    raise ValueError(f"{what}: {value!r} is neither a Pyodide version nor the URL of pyodide.mjs or its directory")


def _describe(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, (str, int, float)) else repr(value)


def merge_packages(given: list[str], config: list[str]) -> list[str]:
    """The keyword's packages, then the config's, each once."""
    return list(dict.fromkeys([*given, *config]))


def _urlsplit(url: str) -> Any:
    """``urllib.parse.urlsplit``, imported on first use: a worker's boot imports this
    module, and urllib.parse (with ipaddress) costs a plain boot tens of milliseconds."""
    from urllib.parse import urlsplit

    return urlsplit(url)
