// A worker's configuration on its file system (pywebworker/_config.py checks it on the
// host): the working directory and the `files` fetched before the script runs. It
// takes an Emscripten FS object (Pyodide's `py.FS`; MicroPython's WebAssembly port has
// the same API) and the resolved list, so that any interpreter's bootstrap can use it.
// Bundled before pyworker.js (js/manifest.json).

const pwwInNode = () => !!(globalThis.process && process.versions && process.versions.node);

// An error the host reports as Python's OSError (remote_type), as pyodide.http does.
function pwwOSError(message) {
  const e = new Error(message);
  e.name = "OSError";
  return e;
}

// The bytes at `url` (a Uint8Array): fetch() for http(s), data: and blob: URLs; in Node
// a path or a file: URL is read from disk. A failure names the URL and the HTTP status.
async function pwwFetchBytes(url) {
  if (pwwInNode() && !/^(https?|data|blob):/i.test(url)) {
    try {
      return new Uint8Array(require("node:fs").readFileSync(/^file:/i.test(url) ? new URL(url) : url));
    } catch (e) { throw pwwOSError(`could not read ${url}: ${e && e.message}`); }
  }
  let r;
  try { r = await fetch(url); } catch (e) { throw pwwOSError(`could not fetch ${url}: ${e && e.message}`); }
  if (!r.ok) throw pwwOSError(`could not fetch ${url}: HTTP ${r.status}${r.statusText ? " " + r.statusText : ""}`);
  return new Uint8Array(await r.arrayBuffer());
}

// `path` made absolute against the FS's working directory, with "." and ".." resolved.
function pwwFsPath(fs, path) {
  const parts = [];
  for (const part of (path.startsWith("/") ? path : fs.cwd() + "/" + path).split("/")) {
    if (part === "..") parts.pop();
    else if (part && part !== ".") parts.push(part);
  }
  return "/" + parts.join("/");
}

// A failure of the file system or of unpack as an OSError saying what failed on which
// path: an Emscripten FS error (an ErrnoError: an errno, no message) as Python words
// it ("[Errno 31] Is a directory", strerror(errno) being the interpreter's, if it has
// one); another error by its name and its message's last line (a PythonError's
// message is the whole traceback).
function pwwFsCall(what, fn, strerror) {
  try { return fn(); } catch (e) {
    let detail;
    try {
      if (e && typeof e.errno === "number") {
        detail = `[Errno ${e.errno}]`;
        try { if (strerror) detail += " " + strerror(e.errno); } catch (_) { /* the number alone */ }
      } else {
        const info = pwwErrorInfo(e);
        const last = info.message.trim().split("\n").pop();
        detail = last.startsWith(info.name) ? last : `${info.name}: ${last}`;
      }
    } catch (_) { detail = "(an error that could not be described)"; }
    throw pwwOSError(`${what}: ${detail}`);
  }
}

// config: {cwd, files: [[url, destination], ...]}. The working directory first (made if
// missing), so that relative destinations are relative to it; then every file fetched
// at once and written in order; a destination ending in "/*" is an archive that
// unpack(bytes, directory, format) extracts there (format: its suffix, "zip", "tar.gz"...;
// unpack null: refused). The first fetch that fails fails it all, at once, naming its
// URL (not after the others: one that hangs would hide it).
// opts.keep: a directory no file may be written into (the bootstrap's own package
// files); opts.strerror(errno): how the interpreter words an FS error.
async function pwwConfigFiles(fs, config, unpack, opts = {}) {
  const { keep, strerror } = opts;
  const kept = (path) => keep && (path === keep || path.startsWith(keep + "/"));
  if (config.cwd) {
    const cwd = pwwFsPath(fs, config.cwd);
    fs.mkdirTree(cwd);
    pwwFsCall(`cannot make ${cwd} the working directory`, () => fs.chdir(cwd), strerror);
  }
  const files = config.files || [];
  files.forEach(([url, dest]) => {  // before any fetch: nothing fetched for nothing
    const path = pwwFsPath(fs, dest.endsWith("/*") ? dest.slice(0, -2) : dest);
    if (kept(path)) throw pwwOSError(`cannot write ${url} to ${path}: ${keep} holds pywebworker's own files`);
  });
  const got = await Promise.all(files.map(([url]) => pwwFetchBytes(url)));
  files.forEach(([url, dest], i) => {
    const bytes = got[i];
    if (dest.endsWith("/*")) {
      const dir = pwwFsPath(fs, dest.slice(0, -2));
      const format = /\.(zip|whl|tgz|tar\.gz|tar)(?:[?#].*)?$/i.exec(url);
      if (!unpack || !format) throw pwwOSError(`cannot unpack ${url} here`);
      fs.mkdirTree(dir);
      pwwFsCall(`cannot unpack ${url} into ${dir}`, () => unpack(bytes, dir, format[1].toLowerCase()), strerror);
      return;
    }
    const path = pwwFsPath(fs, dest);
    fs.mkdirTree(path.slice(0, path.lastIndexOf("/")) || "/");
    pwwFsCall(`cannot write ${url} to ${path}`, () => fs.writeFile(path, bytes), strerror);
  });
}
