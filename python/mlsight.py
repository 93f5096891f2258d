"""ML Sight's experiment logger: one module, standard library only, Python >= 3.8.

    import mlsight

    mlsight.set_seed(42)
    with mlsight.start_run(experiment="iris", name="baseline", tags={"team": "ml"}) as run:
        run.log_params({"C": 1.0, "kernel": "rbf"})
        for epoch in range(10):
            run.log_metric("loss", loss, step=epoch)
        run.log_dataset("iris", "data/iris.csv", role="train")
        run.log_model(model, name="svc")

Every run is a folder ``.mlsight/runs/<run_id>/`` in the workspace root holding ``events.jsonl``: one JSON
object per line, appended and flushed one line at a time (format version 1, described in
``src/core/runs/format.ts`` of the ML Sight extension and in ``docs/python-logger.md``). A crash loses at most
the line being written; several processes may log at once (each run has its own file, one ``write`` per line on
a file opened with ``O_APPEND``).

The workspace root is ``$MLSIGHT_WORKSPACE`` if set, else the nearest directory from the current one upwards that
contains ``.mlsight`` or ``.git``, else the current directory.

numpy, pandas and torch are used only when installed (and, for logging data, only when the object passed is one of
theirs); nothing here imports them otherwise, except ``set_seed``, which seeds every installed library.
"""

import atexit
import csv
import gzip
import hashlib
import io
import json
import math
import os
import pickle
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback as _traceback
import uuid
import warnings
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__version__ = "0.1.0"
FORMAT_VERSION = 1
STORE_DIR = ".mlsight"
RUNS_DIR = "runs"
EVENTS_FILE = "events.jsonl"
ARTIFACTS_DIR = "artifacts"
REQUIREMENTS_FILE = "requirements.txt"
GIT_DIFF_FILE = "git.diff"
HEARTBEAT_FILE = "heartbeat"
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")

__all__ = [
    "Run", "start_run", "end_run", "active_run", "find_workspace", "set_seed",
    "log_param", "log_params", "log_metric", "log_metrics", "log_artifact", "set_tag", "set_tags",
    "log_dataset", "log_predictions", "log_evaluation", "log_model", "log_feature_importance", "route", "Route", "log_outcome", "ab_outcomes_path",
    "log_prediction", "log_label", "predictions_path",
]

PathLike = Union[str, "os.PathLike[str]"]

# Files larger than this are not parsed for an exact row count (rows are then counted by newlines).
_EXACT_ROWS_LIMIT = 256 * 1024 * 1024
# The diff of tracked files is cut here (the git event then says "diff_truncated": true).
_MAX_DIFF_BYTES = 20 * 1024 * 1024
_MAX_TRACEBACK_CHARS = 1024 * 1024
_SAMPLE_ROWS = 1000
_CHUNK = 1024 * 1024
_GIT_TIMEOUT_S = 15
_FSYNC_INTERVAL_S = 1.0
# Values above this lose precision in JavaScript, so such integer params are written as strings.
_MAX_SAFE_INT = 2 ** 53 - 1
_STARTUP_HASHSEED = os.environ.get("PYTHONHASHSEED")

_lock = threading.RLock()
_active: List["Run"] = []
_hooks_installed = False
_signals_installed = False
_owner_pid = os.getpid()
_received_signal: Optional[str] = None
_prev_handlers: Dict[int, Any] = {}
# set_seed() called while no run was active: recorded on the next run started.
_pending_seed: Optional[Dict[str, Any]] = None
_exit_code: Any = None  # the argument of the last sys.exit() call (None: none)
_orig_sys_exit: Callable[..., Any] = sys.exit
_hb_thread: Optional[threading.Thread] = None
_hb_pid = 0


# ----------------------------------------------------------------------------------------------------------------
# Small helpers


def _now_ms() -> int:
    return int(time.time() * 1000)


def _posix(p: str) -> str:
    return p.replace(os.sep, "/") if os.sep != "/" else p


def find_workspace(start: Optional[PathLike] = None) -> str:
    """The workspace root: $MLSIGHT_WORKSPACE, else the nearest directory containing .mlsight or .git, else cwd."""
    env = os.environ.get("MLSIGHT_WORKSPACE")
    if env:
        return os.path.abspath(env)
    here = os.path.abspath(os.fspath(start) if start is not None else os.getcwd())
    d = here
    while True:
        if os.path.isdir(os.path.join(d, STORE_DIR)) or os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return here
        d = parent


def _key(key: Any, what: str = "key") -> str:
    k = key if isinstance(key, str) else str(key)
    if not k:
        raise ValueError("mlsight: %s must be a non-empty string" % what)
    return k


def _json_safe(v: Any, depth: int = 0) -> Any:
    """A JSON-compatible copy of a param value: numbers, strings, booleans, null, lists and dicts of them."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if -_MAX_SAFE_INT <= v <= _MAX_SAFE_INT else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else _nonfinite_text(v)
    item = getattr(v, "item", None)  # numpy / torch scalars
    if type(v).__module__.split(".")[0] in ("numpy", "torch"):
        try:
            if getattr(v, "ndim", 0) == 0 and callable(item):
                return _json_safe(item(), depth + 1)
            if depth < 8 and callable(getattr(v, "tolist", None)):
                return _json_safe(v.tolist(), depth + 1)
        except Exception:
            pass
        return str(v)
    if depth < 8 and isinstance(v, (list, tuple)):
        return [_json_safe(x, depth + 1) for x in v]
    if depth < 8 and isinstance(v, dict):
        return {str(k): _json_safe(x, depth + 1) for k, x in v.items()}
    return str(v)


def _nonfinite_text(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def _metric_value(value: Any) -> Union[float, int, str]:
    if isinstance(value, str):
        raise TypeError("mlsight: a metric value must be a number, not a string (%r)" % (value[:40],))
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise TypeError("mlsight: a metric value must be a number, got %s" % type(value).__name__) from None
    if not math.isfinite(f):
        return _nonfinite_text(f)
    if isinstance(value, int) and not isinstance(value, bool) and -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
        return int(value)
    return f


def _step(step: Any) -> int:
    if isinstance(step, (bool, str, bytes)):
        raise TypeError("mlsight: a step must be an integer")
    if isinstance(step, int):
        return step
    try:
        f = float(step)
    except (TypeError, ValueError):
        raise TypeError("mlsight: a step must be an integer, got %s" % type(step).__name__) from None
    if not math.isfinite(f) or f != int(f):
        raise ValueError("mlsight: a step must be an integer, got %r" % (step,))
    return int(f)


def _encode(event: Dict[str, Any]) -> bytes:
    text = json.dumps(event, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # A lone surrogate (from a badly decoded name) cannot be UTF-8: write it as a \\uXXXX escape, which is valid
    # JSON inside the string it came from.
    return (text + "\n").encode("utf-8", "backslashreplace")


def _sha256_file(path: str, copy_to: Optional[str] = None) -> Tuple[str, int]:
    """sha256 hex and size of a file, optionally copying it (one pass) to copy_to."""
    h = hashlib.sha256()
    size = 0
    out = None
    if copy_to is not None:
        out = open(copy_to + ".mlsight-tmp", "wb")
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
        if out is not None:
            out.close()
            out = None
            try:
                shutil.copystat(path, copy_to + ".mlsight-tmp")
            except OSError:
                pass
            os.replace(copy_to + ".mlsight-tmp", copy_to)
    finally:
        if out is not None:
            out.close()
            try:
                os.unlink(copy_to + ".mlsight-tmp")  # type: ignore[operator]
            except OSError:
                pass
    return h.hexdigest(), size


def _walk_files(root: str) -> List[str]:
    """Files under a directory as sorted posix relative paths (symlinked directories are not followed)."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            out.append(_posix(os.path.relpath(os.path.join(d, name), root)))
    out.sort()
    return out


def _sha256_dir(root: str, copy_to: Optional[str] = None) -> Tuple[str, int, int]:
    """Digest of a directory: sha256 over "<relpath>\\0<sha256 of file>\\n" for each file in sorted order."""
    h = hashlib.sha256()
    size = 0
    files = _walk_files(root)
    for rel in files:
        src = os.path.join(root, *rel.split("/"))
        dst = None
        if copy_to is not None:
            dst = os.path.join(copy_to, *rel.split("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
        digest, n = _sha256_file(src, dst)
        size += n
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + digest.encode("ascii") + b"\n")
    return h.hexdigest(), size, len(files)


def _label_list(values: Iterable[Any], what: str) -> List[Union[int, float, str]]:
    """Labels or predictions as JSON numbers or strings (numpy/pandas/torch values become plain numbers)."""
    tolist = getattr(values, "tolist", None)
    seq = tolist() if callable(tolist) else list(values)
    out: List[Union[int, float, str]] = []
    for v in seq:
        if isinstance(v, (list, tuple)):
            raise ValueError("mlsight.log_predictions: %s must be one label per example, got %r" % (what, v))
        item = getattr(v, "item", None)
        if callable(item) and not isinstance(v, (str, bytes)):
            v = item()
        if isinstance(v, bool):
            out.append(int(v))
        elif isinstance(v, int):
            out.append(v)
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError("mlsight.log_predictions: %s has a non-finite value %r" % (what, v))
            out.append(v)
        else:
            out.append(str(v))
    return out


def _safe_name(name: str) -> str:
    """A single path component made from a user-chosen name (no separators, no '..', no control characters)."""
    out = "".join("_" if (c in '/\\:*?"<>|' or ord(c) < 32) else c for c in name).strip()
    if out in ("", ".", ".."):
        out = "_" + out
    return out[:200]


def _safe_rel(path: str) -> str:
    """A relative path inside the artifacts folder: rejects absolute paths and '..'."""
    parts = [p for p in _posix(path).split("/") if p not in ("", ".")]
    if os.path.isabs(path) or any(p == ".." for p in parts):
        raise ValueError("mlsight: artifact_path must be a relative path without '..': %r" % (path,))
    return "/".join(_safe_name(p) for p in parts)


def _is_pathlike(x: Any) -> bool:
    return isinstance(x, (str, bytes)) or hasattr(x, "__fspath__")


def _fspath(x: Any) -> str:
    p = os.fspath(x)
    return os.fsdecode(p) if isinstance(p, bytes) else p


def _qualname(obj: Any) -> str:
    t = type(obj)
    return "%s.%s" % (t.__module__, t.__qualname__)


def _module_of(name: str) -> Any:
    """The module if it is already imported, else None (never imports)."""
    return sys.modules.get(name)


# ----------------------------------------------------------------------------------------------------------------
# Datasets


def _infer_dtype(values: Iterable[str]) -> str:
    """pandas-like dtype name of a column of CSV text values (sampled)."""
    kind = None  # None < bool < int64 < float64 < object
    missing = False
    for v in values:
        s = v.strip()
        if s == "" or s.lower() in ("nan", "na", "null", "none"):
            missing = True
            continue
        low = s.lower()
        if low in ("true", "false"):
            k = "bool"
        else:
            try:
                int(s, 10)
                k = "int64"
            except ValueError:
                try:
                    float(s)
                    k = "float64"
                except ValueError:
                    return "object"
        if kind is None:
            kind = k
        elif kind != k:
            if {kind, k} == {"int64", "float64"}:
                kind = "float64"
            else:
                return "object"
    if kind is None:
        return "float64" if missing else "object"
    if missing and kind == "int64":
        return "float64"
    if missing and kind == "bool":
        return "object"
    return kind


def _json_dtype(values: List[Any]) -> str:
    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, int):
            kinds.add("int64")
        elif isinstance(v, float):
            kinds.add("float64")
        else:
            kinds.add("object")
    if kinds == {"int64", "float64"}:
        return "float64"
    return kinds.pop() if len(kinds) == 1 else "object"


def _open_text(path: str, gz: bool) -> Any:
    if gz:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(path, "r", encoding="utf-8", errors="replace", newline="")


def _newline_rows(path: str, gz: bool) -> int:
    n = 0
    last = b"\n"
    opener = gzip.open if gz else open
    with opener(path, "rb") as f:  # type: ignore[operator]
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (0 if last == b"\n" else 1)


def _describe_table_file(path: str, size: int) -> Dict[str, Any]:
    """Rows and schema of a CSV / TSV / JSON Lines / .npy file (optionally .gz); {} for other formats."""
    lower = path.lower()
    gz = lower.endswith(".gz")
    base = lower[:-3] if gz else lower
    ext = os.path.splitext(base)[1].lstrip(".")
    info: Dict[str, Any] = {"format": ext + (".gz" if gz else "") if ext else ("gz" if gz else "file")}
    exact = size <= _EXACT_ROWS_LIMIT
    try:
        if ext in ("csv", "tsv", "tab"):
            delim = "," if ext == "csv" else "\t"
            with _open_text(path, gz) as f:
                reader = csv.reader(f, delimiter=delim)
                header = next(reader, None)
                sample: List[List[str]] = []
                rows = 0
                for row in reader:
                    if not row:
                        continue
                    if len(sample) < _SAMPLE_ROWS:
                        sample.append(row)
                    rows += 1
                    if not exact and rows >= _SAMPLE_ROWS:
                        break
            if header is not None:
                cols = []
                for i, name in enumerate(header):
                    cols.append({"name": name, "dtype": _infer_dtype(r[i] for r in sample if i < len(r))})
                info["columns"] = cols
            if exact:
                info["rows"] = rows
            else:
                info["rows"] = max(0, _newline_rows(path, gz) - 1)
                info["rows_exact"] = False
        elif ext in ("jsonl", "ndjson"):
            rows = 0
            sample_objs: List[Dict[str, Any]] = []
            with _open_text(path, gz) as f:
                for line in f:
                    if not line.strip():
                        continue
                    rows += 1
                    if len(sample_objs) < _SAMPLE_ROWS:
                        try:
                            o = json.loads(line)
                            if isinstance(o, dict):
                                sample_objs.append(o)
                        except ValueError:
                            pass
                    if not exact and rows >= _SAMPLE_ROWS:
                        break
            if sample_objs:
                names: List[str] = []
                for o in sample_objs:
                    for k in o:
                        if k not in names:
                            names.append(k)
                info["columns"] = [{"name": k, "dtype": _json_dtype([o.get(k) for o in sample_objs])} for k in names]
            if exact:
                info["rows"] = rows
            else:
                info["rows"] = _newline_rows(path, gz)
                info["rows_exact"] = False
        elif ext == "npy" and not gz:
            header = _npy_header(path)
            if header:
                shape = list(header.get("shape", ()))
                info["shape"] = shape
                info["dtype"] = str(header.get("descr"))
                info["rows"] = shape[0] if shape else 1
        elif ext == "parquet" and not gz:
            info.update(_parquet_info(path))
    except Exception as e:  # a dataset we cannot parse is still hashed
        info["parse_error"] = "%s: %s" % (type(e).__name__, e)
    return info


def _npy_header(path: str) -> Optional[Dict[str, Any]]:
    import ast
    with open(path, "rb") as f:
        magic = f.read(8)
        if magic[:6] != b"\x93NUMPY":
            return None
        major = magic[6]
        if major == 1:
            n = int.from_bytes(f.read(2), "little")
        else:
            n = int.from_bytes(f.read(4), "little")
        text = f.read(n).decode("latin1")
    try:
        h = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return h if isinstance(h, dict) else None


def _parquet_info(path: str) -> Dict[str, Any]:
    import importlib.util
    if importlib.util.find_spec("pyarrow") is None:
        return {}
    try:
        import pyarrow.parquet as pq  # type: ignore
        md = pq.read_metadata(path)
        schema = md.schema.to_arrow_schema()
        return {"rows": int(md.num_rows), "columns": [{"name": f.name, "dtype": str(f.type)} for f in schema]}
    except Exception:
        return {}


def _describe_data_object(data: Any) -> Dict[str, Any]:
    """digest, rows and schema of an in-memory dataset (pandas, numpy, torch, or any picklable object)."""
    pd = _module_of("pandas")
    np = _module_of("numpy")
    torch = _module_of("torch")
    if pd is not None and isinstance(data, getattr(pd, "Series", ())):
        data = data.to_frame()
    if pd is not None and isinstance(data, getattr(pd, "DataFrame", ())):
        columns = [{"name": str(c), "dtype": str(t)} for c, t in zip(data.columns, data.dtypes)]
        h = hashlib.sha256()
        h.update(json.dumps(columns, sort_keys=True).encode("utf-8", "backslashreplace"))
        try:
            hashes = pd.util.hash_pandas_object(data, index=True)
            h.update(hashes.to_numpy().tobytes())
            method = "pandas.hash_pandas_object"
        except Exception:
            h.update(data.to_csv().encode("utf-8", "backslashreplace"))
            method = "pandas.to_csv"
        return {"kind": "pandas", "digest": "sha256:" + h.hexdigest(), "rows": int(len(data)),
                "schema": {"columns": columns}, "digest_method": method}
    if torch is not None and isinstance(data, getattr(torch, "Tensor", ())):
        t = data.detach().cpu()
        try:
            arr = t.numpy()
        except Exception:
            arr = t.float().numpy()
        info = _describe_data_object(arr)
        info["kind"] = "torch"
        info["schema"]["dtype"] = str(data.dtype)
        return info
    if np is not None and isinstance(data, getattr(np, "ndarray", ())):
        h = hashlib.sha256()
        h.update(("%s|%s|" % (data.dtype.str, list(data.shape))).encode("ascii"))
        if data.dtype.hasobject:
            h.update(pickle.dumps(data.tolist(), protocol=4))
        else:
            h.update(np.ascontiguousarray(data).tobytes())
        schema: Dict[str, Any] = {"dtype": str(data.dtype), "shape": [int(x) for x in data.shape]}
        if data.dtype.names:
            schema["columns"] = [{"name": n, "dtype": str(data.dtype.fields[n][0])} for n in data.dtype.names]
        return {"kind": "numpy", "digest": "sha256:" + h.hexdigest(),
                "rows": int(data.shape[0]) if data.ndim > 0 else 1, "schema": schema}
    try:
        blob = pickle.dumps(data, protocol=4)
    except Exception as e:
        raise TypeError("mlsight: cannot log %s as a dataset (not a path, DataFrame, array or picklable object: %s)"
                        % (type(data).__name__, e)) from None
    info = {"kind": "object", "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
            "schema": {"type": _qualname(data)}}
    try:
        info["rows"] = len(data)
    except Exception:
        pass
    return info


# ----------------------------------------------------------------------------------------------------------------
# Environment capture


def _run_git(args: List[str], cwd: str) -> Optional[bytes]:
    env = dict(os.environ)
    env.update({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    try:
        p = subprocess.run(["git"] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env, timeout=_GIT_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if p.returncode != 0:
        return None
    return p.stdout


def _git_info(cwd: str) -> Tuple[Optional[Dict[str, Any]], Optional[bytes]]:
    """(git event fields, diff of tracked files or None); (None, None) outside a repository or without git."""
    top = _run_git(["rev-parse", "--show-toplevel"], cwd)
    if top is None:
        return None, None
    info: Dict[str, Any] = {"root": top.decode("utf-8", "replace").strip()}
    commit = _run_git(["rev-parse", "--verify", "-q", "HEAD"], cwd)
    if commit:
        info["commit"] = commit.decode("ascii", "replace").strip()
    branch = _run_git(["symbolic-ref", "--short", "-q", "HEAD"], cwd)
    if branch:
        info["branch"] = branch.decode("utf-8", "replace").strip()
    status = _run_git(["status", "--porcelain", "--untracked-files=no"], cwd)
    diff: Optional[bytes] = None
    if status is not None:
        info["dirty"] = bool(status.strip())
        if info["dirty"]:
            diff = _run_git(["diff", "HEAD"] if commit else ["diff", "--cached"], cwd)
            if diff is not None and len(diff) > _MAX_DIFF_BYTES:
                diff = diff[:_MAX_DIFF_BYTES]
                info["diff_truncated"] = True
    return info, diff


def _packages() -> List[Tuple[str, str]]:
    """Installed distributions as (name, version), like `pip freeze` (first on sys.path wins), sorted."""
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover (Python < 3.8)
        return []
    seen: Dict[str, Tuple[str, str]] = {}
    try:
        dists = list(metadata.distributions())
    except Exception:
        return []
    for d in dists:
        try:
            name = d.metadata["Name"]
            version = d.version
        except Exception:
            continue
        if not name or not version:
            continue
        norm = name.lower().replace("_", "-").replace(".", "-")
        if norm not in seen:
            seen[norm] = (name, version)
    return sorted(seen.values(), key=lambda nv: nv[0].lower())


def _command_line() -> str:
    argv = getattr(sys, "orig_argv", None)  # Python >= 3.10: the exact command, including -m / -c
    if not argv:
        argv = [os.path.basename(sys.executable) or "python"] + list(sys.argv)
    try:
        return shlex.join(argv)
    except Exception:
        return " ".join(str(a) for a in argv)


def _script_path() -> Optional[str]:
    main = sys.modules.get("__main__")
    f = getattr(main, "__file__", None)
    if f:
        return os.path.abspath(f)
    if sys.argv and sys.argv[0] and os.path.isfile(sys.argv[0]):
        return os.path.abspath(sys.argv[0])
    return None


def _memory_bytes() -> Optional[int]:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _env_info() -> Dict[str, Any]:
    info: Dict[str, Any] = {
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "host": platform.node(),
        "command": _command_line(),
        "script": _script_path(),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "logger": "mlsight-py " + __version__,
    }
    try:
        import getpass
        info["user"] = getpass.getuser()
    except Exception:
        pass
    venv = os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX")
    if venv:
        info["venv"] = venv
    return {k: v for k, v in info.items() if v is not None}


# ----------------------------------------------------------------------------------------------------------------
# The run


class _Writer:
    """Appends one JSON line per event to a file opened with O_APPEND (one write() per line)."""

    def __init__(self, path: str, fsync_mode: str) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        self.path = path
        self.fd: Optional[int] = os.open(path, flags, 0o644)
        self.fsync_mode = fsync_mode
        self.last_sync = time.monotonic()
        self.lock = threading.RLock()  # re-entrant: a signal handler may end the run inside a write

    def write(self, event: Dict[str, Any], durable: bool = False) -> None:
        self.write_bytes(_encode(event), durable)

    def write_bytes(self, data: bytes, durable: bool = False) -> None:
        """Appends one line. fsync: "always" after every line; "never"; "auto" (default) for durable events (run
        start and end) and otherwise at most once a second. write() alone already survives a crash of the process;
        fsync is for a crash of the machine."""
        with self.lock:
            fd = self.fd
            if fd is None:
                raise RuntimeError("mlsight: the run log %s is closed" % self.path)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if self.fsync_mode == "never":
                return
            now = time.monotonic()
            if self.fsync_mode == "always" or durable or now - self.last_sync >= _FSYNC_INTERVAL_S:
                self.last_sync = now
                try:
                    os.fsync(fd)
                except OSError:
                    pass

    def close(self, sync: bool = True) -> None:
        with self.lock:
            if self.fd is not None:
                if sync:
                    try:
                        os.fsync(self.fd)
                    except OSError:
                        pass
                os.close(self.fd)
                self.fd = None


class Run:
    """One run. Use as a context manager (`with mlsight.start_run() as run:`) or call `end()`."""

    def __init__(self, experiment: Optional[str] = None, name: Optional[str] = None,
                 tags: Optional[Mapping[str, Any]] = None, description: Optional[str] = None,
                 workspace: Optional[PathLike] = None, capture: bool = True,
                 parent: Optional["Run"] = None) -> None:
        self.workspace = os.path.abspath(_fspath(workspace)) if workspace is not None else find_workspace()
        self.run_id = uuid.uuid4().hex
        self.experiment = str(experiment) if experiment is not None else (os.environ.get("MLSIGHT_EXPERIMENT") or "Default")
        script = _script_path()
        if name is None:
            stem = os.path.splitext(os.path.basename(script))[0] if script else "run"
            name = "%s-%s" % (stem, time.strftime("%Y%m%d-%H%M%S"))
        self.name = str(name)
        self.description = description
        self.run_dir = os.path.join(self.workspace, STORE_DIR, RUNS_DIR, self.run_id)
        self.artifact_dir = os.path.join(self.run_dir, ARTIFACTS_DIR)
        self.events_path = os.path.join(self.run_dir, EVENTS_FILE)
        self.status = "RUNNING"
        self.start_time = _now_ms()
        self.end_time: Optional[int] = None
        self._pid = os.getpid()
        self._steps: Dict[str, int] = {}
        self._key_json: Dict[str, str] = {}
        self._fi_step = 0
        self._dataset_digests: Dict[Tuple[str, str], Optional[str]] = {}
        self._lock = threading.RLock()
        os.makedirs(self.run_dir, exist_ok=False)
        mode = (os.environ.get("MLSIGHT_FSYNC") or "auto").lower()
        self._writer = _Writer(self.events_path, mode if mode in ("always", "never", "auto") else "auto")
        tag_map = {_key(k, "tag key"): str(v) for k, v in (tags or {}).items()}
        if parent is not None:
            tag_map["mlsight.parent_run_id"] = parent.run_id
        event: Dict[str, Any] = {"type": "run", "ts": self.start_time, "run_id": self.run_id,
                                 "experiment": self.experiment, "name": self.name, "start_time": self.start_time,
                                 "format": FORMAT_VERSION}
        if description is not None:
            event["description"] = str(description)
        if tag_map:
            event["tags"] = tag_map
        self._emit(event, durable=True)
        self._heartbeat_path = os.path.join(self.run_dir, HEARTBEAT_FILE)
        self._beat()
        if capture:
            self._capture(script)

    # -- plumbing --------------------------------------------------------------------------------------------------

    def _emit(self, event: Dict[str, Any], durable: bool = False) -> None:
        if "ts" not in event:
            event = dict(event, ts=_now_ms())
        if self.status != "RUNNING":
            raise RuntimeError("mlsight: run %s has ended (%s); start a new run to log more" % (self.run_id, self.status))
        self._writer.write(event, durable)

    def _beat(self) -> None:
        """Rewrites the run's heartbeat file (a few dozen bytes, replaced atomically): ML Sight shows a RUNNING run
        whose process is gone (same host) or whose heartbeat is too old (another host) as KILLED."""
        data = json.dumps({"ts": _now_ms(), "pid": self._pid, "host": platform.node()}, separators=(",", ":")).encode()
        tmp = self._heartbeat_path + ".tmp"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, self._heartbeat_path)
        except OSError:
            pass

    def _capture(self, script: Optional[str]) -> None:
        """Environment, git state and installed packages. A failure here is a warning, never a failed run."""
        for part in (self._capture_env, self._capture_git, self._capture_packages):
            try:
                part(script)
            except Exception as e:
                warnings.warn("mlsight: could not record %s: %s" % (part.__name__[9:], e))

    def _capture_env(self, script: Optional[str]) -> None:
        self._emit(dict({"type": "env"}, **_env_info()))

    def _capture_git(self, script: Optional[str]) -> None:
        git_cwd = os.path.dirname(script) if script and os.path.isdir(os.path.dirname(script)) else os.getcwd()
        git, diff = _git_info(git_cwd)
        if git is not None:
            if diff:
                path = os.path.join(self.run_dir, GIT_DIFF_FILE)
                with open(path, "wb") as f:
                    f.write(diff)
                git["diff"] = GIT_DIFF_FILE
            self._emit(dict({"type": "git"}, **git))
            if diff:
                self._emit({"type": "artifact", "path": GIT_DIFF_FILE, "size": len(diff),
                            "sha256": hashlib.sha256(diff).hexdigest(), "kind": "git_diff"})

    def _capture_packages(self, script: Optional[str]) -> None:
        pkgs = _packages()
        text = "".join("%s==%s\n" % nv for nv in pkgs).encode("utf-8", "backslashreplace")
        with open(os.path.join(self.run_dir, REQUIREMENTS_FILE), "wb") as f:
            f.write(text)
        self._emit({"type": "artifact", "path": REQUIREMENTS_FILE, "size": len(text),
                    "sha256": hashlib.sha256(text).hexdigest(), "kind": "requirements", "packages": len(pkgs)})

    def _rel_to_workspace(self, path: str) -> str:
        ap = os.path.abspath(path)
        try:
            rel = os.path.relpath(ap, self.workspace)
        except ValueError:  # another drive on Windows
            return ap
        return ap if rel == ".." or rel.startswith(".." + os.sep) else _posix(rel)

    def __repr__(self) -> str:
        return "<mlsight.Run %s %r status=%s>" % (self.run_id, self.name, self.status)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            self.end("FINISHED")
            return False
        try:
            _end_for_exception(self, exc_type, exc, tb)
        except Exception as e:  # never hide the user's exception behind ours
            warnings.warn("mlsight: could not record the end of run %s: %s" % (self.run_id, e))
        return False

    # -- logging ---------------------------------------------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        """Logs one hyperparameter (numbers, strings, booleans, None, lists and dicts are kept as JSON)."""
        self._emit({"type": "param", "key": _key(key), "value": _json_safe(value)})

    def log_params(self, params: Mapping[str, Any]) -> None:
        for k, v in dict(params).items():
            self.log_param(k, v)

    def log_metric(self, key: str, value: Any, step: Optional[int] = None) -> None:
        """Logs one metric value. NaN and +/-inf are written as "NaN" / "Infinity" / "-Infinity".

        Without step, each key counts 0, 1, 2, ... on its own (MLflow would use 0 every time)."""
        k = _key(key)
        v = _metric_value(value)
        # The hot path: the line is formatted directly (same bytes json.dumps would give), the key's JSON cached.
        kj = self._key_json.get(k)
        if kj is None:
            kj = json.dumps(k, ensure_ascii=False)
            if len(self._key_json) < 10000:
                self._key_json[k] = kj
        vj = ('"%s"' % v) if isinstance(v, str) else repr(v)
        with self._lock:
            if step is None:
                s = self._steps.get(k, -1) + 1
            else:
                s = _step(step)
            self._steps[k] = max(s, self._steps.get(k, -1))
            if self.status != "RUNNING":
                raise RuntimeError("mlsight: run %s has ended (%s); start a new run to log more" % (self.run_id, self.status))
            line = '{"type":"metric","key":%s,"value":%s,"step":%d,"ts":%d}\n' % (kj, vj, s, _now_ms())
            self._writer.write_bytes(line.encode("utf-8", "backslashreplace"))

    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
        for k, v in dict(metrics).items():
            self.log_metric(k, v, step)

    def set_tag(self, key: str, value: Any) -> None:
        self._emit({"type": "tag", "key": _key(key, "tag key"), "value": str(value)})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for k, v in dict(tags).items():
            self.set_tag(k, v)

    def log_artifact(self, path: PathLike, artifact_path: Optional[str] = None, copy: bool = True,
                     kind: str = "file") -> List[str]:
        """Copies a file or a directory into the run's artifacts/ folder (like MLflow) and records its size and
        sha256. With copy=False only the absolute path, size and hash are recorded. Returns the recorded paths
        (relative to the run folder when copied)."""
        src = os.path.abspath(_fspath(path))
        if not os.path.exists(src):
            raise FileNotFoundError("mlsight: no such file or directory: %r" % src)
        sub = _safe_rel(artifact_path) if artifact_path else ""
        recorded = []
        if os.path.isdir(src):
            base = _safe_name(os.path.basename(src.rstrip(os.sep)) or "dir")
            for rel in _walk_files(src):
                f = os.path.join(src, *rel.split("/"))
                recorded += self._artifact_file(f, "/".join(x for x in (sub, base, rel) if x), copy, kind)
        else:
            rel = "/".join(x for x in (sub, _safe_name(os.path.basename(src))) if x)
            recorded += self._artifact_file(src, rel, copy, kind)
        return recorded

    def _artifact_file(self, src: str, rel: str, copy: bool, kind: str) -> List[str]:
        if not copy:
            digest, size = _sha256_file(src)
            self._emit({"type": "artifact", "path": src, "size": size, "sha256": digest, "kind": kind, "copied": False})
            return [src]
        dst = os.path.join(self.artifact_dir, *rel.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        same = os.path.exists(dst) and os.path.samefile(src, dst)
        digest, size = _sha256_file(src, None if same else dst)
        recorded = ARTIFACTS_DIR + "/" + rel
        event = {"type": "artifact", "path": recorded, "size": size, "sha256": digest, "kind": kind}
        if not same:
            event["source"] = self._rel_to_workspace(src)
        self._emit(event)
        return [recorded]

    def log_dataset(self, name: str, data: Any, role: str = "train", source: Optional[PathLike] = None) -> Dict[str, Any]:
        """Records a dataset version: a file or directory path, a pandas DataFrame/Series, a numpy array, a torch
        tensor or any picklable object. Records a content hash (sha256), rows, and columns with dtypes where
        known. Returns the event written."""
        event: Dict[str, Any] = {"type": "dataset", "name": _key(name, "dataset name"), "role": _key(role, "role")}
        if _is_pathlike(data):
            p = os.path.abspath(_fspath(data))
            if not os.path.exists(p):
                raise FileNotFoundError("mlsight: no such dataset file or directory: %r" % p)
            event["path"] = self._rel_to_workspace(p)
            if os.path.isdir(p):
                digest, size, files = _sha256_dir(p)
                event.update({"kind": "directory", "digest": "sha256:" + digest, "size": size, "files": files})
            else:
                digest, size = _sha256_file(p)
                event.update({"kind": "file", "digest": "sha256:" + digest, "size": size})
                info = _describe_table_file(p, size)
                if "rows" in info:
                    event["rows"] = info.pop("rows")
                event["schema"] = info
        else:
            event.update(_describe_data_object(data))
            if source is not None:
                # where the data came from: a description (a URL, a query…) or a file. The content digest above is
                # of the object in memory; when the source is a file, its own sha256 is recorded too (in the schema,
                # so ML Sight can tell whether the file changed since without comparing unlike digests).
                src = _fspath(source)
                described = re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", src) is not None  # a URL, not a local path
                event["path"] = src if described else self._rel_to_workspace(src)
                schema = event.setdefault("schema", {})
                if not described and os.path.isfile(src):
                    sdigest, ssize = _sha256_file(src)
                    schema["source_file"] = {"path": event["path"], "digest": "sha256:" + sdigest, "size": ssize}
                else:
                    schema["source_description"] = str(source)
        event["ts"] = _now_ms()
        self._emit(event)
        self._dataset_digests[(event["name"], event["role"])] = event.get("digest")
        return event

    def log_predictions(self, y_true: Iterable[Any], y_pred: Iterable[Any], dataset: str = "test",
                        role: str = "test") -> str:
        """Records per-example labels and predictions of this run's model on an evaluation dataset (logged first
        with log_dataset under the same name and role), in artifacts/predictions/<dataset>-<role>.json. ML Sight's
        promotion gate pairs them with the champion's on the same data (McNemar's test for accuracy, a paired
        bootstrap for RMSE, MAE, F1…). Labels are numbers or strings. Returns the artifact path."""
        name, r = _key(dataset, "dataset name"), _key(role, "role")
        yt, yp = _label_list(y_true, "y_true"), _label_list(y_pred, "y_pred")
        if len(yt) != len(yp) or not yt:
            raise ValueError("mlsight.log_predictions: %d labels but %d predictions" % (len(yt), len(yp)))
        rec = {"dataset": name, "role": r, "digest": self._dataset_digests.get((name, r)), "n": len(yt),
               "y_true": yt, "y_pred": yp}
        data = json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
        safe = lambda s: re.sub(r"[^A-Za-z0-9_.-]+", "_", s)  # noqa: E731
        folder = os.path.join(self.artifact_dir, "predictions")
        os.makedirs(folder, exist_ok=True)
        dst = os.path.join(folder, "%s-%s.json" % (safe(name), safe(r)))
        with open(dst + ".mlsight-tmp", "wb") as f:
            f.write(data)
        os.replace(dst + ".mlsight-tmp", dst)
        rel = _posix(os.path.relpath(dst, self.run_dir))
        self._emit({"type": "artifact", "path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                    "kind": "predictions"})
        return rel

    def log_evaluation(self, name: str, data: Any, y_true: Iterable[Any], y_pred: Iterable[Any], role: str = "test",
                       metrics: Optional[Mapping[str, Any]] = None, source: Optional[PathLike] = None) -> Dict[str, Any]:
        """An evaluation in one call: the evaluation dataset (log_dataset), the per-example predictions on it
        (log_predictions) and the metrics computed on it. Returns the dataset event."""
        event = self.log_dataset(name, data, role=role, source=source)
        self.log_predictions(y_true, y_pred, dataset=name, role=role)
        if metrics:
            self.log_metrics(metrics)
        return event

    def log_model(self, model: Any, name: Optional[str] = None, registered_name: Optional[str] = None) -> str:
        """Saves a model: a file or directory path is copied, any other object is pickled. Returns the model's
        path relative to the run folder (artifacts/models/<name>/...). With registered_name, the model event also
        asks ML Sight to register it as a new version of that registered model (done once, when the extension or
        ``mlsight registry`` next reads the run; the event's ``register_id`` makes re-reading it harmless)."""
        reg = None
        if registered_name is not None:
            reg = _registered_name(registered_name)
        if _is_pathlike(model):
            src = os.path.abspath(_fspath(model))
            if not os.path.exists(src):
                raise FileNotFoundError("mlsight: no such model file or directory: %r" % src)
            mname = _key(name, "model name") if name is not None else os.path.splitext(os.path.basename(src.rstrip(os.sep)))[0] or "model"
            folder = os.path.join(self.artifact_dir, "models", _safe_name(mname))
            os.makedirs(folder, exist_ok=True)
            dst = os.path.join(folder, _safe_name(os.path.basename(src.rstrip(os.sep)) or "model"))
            if os.path.isdir(src):
                digest, size, _ = _sha256_dir(src, dst)
                fmt = "directory"
            else:
                digest, size = _sha256_file(src, dst)
                fmt = os.path.splitext(src)[1].lstrip(".").lower() or "file"
            cls = None
        else:
            mname = _key(name, "model name") if name is not None else type(model).__name__
            folder = os.path.join(self.artifact_dir, "models", _safe_name(mname))
            os.makedirs(folder, exist_ok=True)
            dst = os.path.join(folder, "model.pkl")
            tmp = dst + ".mlsight-tmp"
            h = hashlib.sha256()
            try:
                with open(tmp, "wb") as f:
                    pickle.dump(model, _HashingFile(f, h), protocol=4)
                os.replace(tmp, dst)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            digest, size = h.hexdigest(), os.path.getsize(dst)
            fmt = "pickle"
            cls = _qualname(model)
        rel = _posix(os.path.relpath(dst, self.run_dir))
        event: Dict[str, Any] = {"type": "model", "name": mname, "path": rel, "size": size, "sha256": digest, "format": fmt}
        if reg is not None:
            event["registered_name"] = reg
            event["register_id"] = uuid.uuid4().hex
        if cls:
            event["class"] = cls
            top = type(model).__module__.split(".")[0]
            mod = sys.modules.get(top)
            ver = getattr(mod, "__version__", None)
            if isinstance(ver, str):
                event["framework"] = top
                event["framework_version"] = ver
        self._emit(event)
        return rel

    def log_feature_importance(self, names: Sequence[Any], values: Sequence[Any], step: Optional[int] = None) -> None:
        """Records one importance value per feature (stored as metrics feature_importance/<name>)."""
        ns = [_key(n, "feature name") for n in list(names)]
        vs = [_metric_value(v) for v in list(values)]
        if len(ns) != len(vs):
            raise ValueError("mlsight: %d feature names but %d importance values" % (len(ns), len(vs)))
        with self._lock:
            s = self._fi_step if step is None else _step(step)
            self._fi_step = max(self._fi_step, s + 1)
            self._emit({"type": "feature_importance", "names": ns, "values": vs, "step": s})

    def _record_seed(self, seed_event: Dict[str, Any]) -> None:
        self._emit(dict({"type": "seed"}, **seed_event))

    # -- ending ----------------------------------------------------------------------------------------------------

    def end(self, status: str = "FINISHED", error: Optional[str] = None, traceback: Optional[str] = None,
            signal_name: Optional[str] = None) -> None:
        """Writes the end event (idempotent) and closes the log."""
        if status not in RUN_STATUSES or status in ("RUNNING", "SCHEDULED"):
            raise ValueError("mlsight: an ended run's status is FINISHED, FAILED or KILLED, not %r" % (status,))
        if os.getpid() != self._pid:
            # A forked child (os.fork, multiprocessing workers) shares the log but does not own the run: it may log
            # to it, never end it. Only its copy of the file descriptor is closed.
            with self._writer.lock:
                self.status = status
                self._writer.close(sync=False)
            with _lock:
                if self in _active:
                    _active.remove(self)
            return
        with self._writer.lock:
            if self.status != "RUNNING":
                return
            self.end_time = _now_ms()
            event: Dict[str, Any] = {"type": "end", "ts": self.end_time, "status": status, "end_time": self.end_time}
            if error:
                event["error"] = error
            if traceback:
                event["traceback"] = traceback[-_MAX_TRACEBACK_CHARS:]
            if signal_name:
                event["signal"] = signal_name
            try:
                self._writer.write(event, True)
            finally:
                self.status = status
                self._writer.close()
        with _lock:
            if self in _active:
                _active.remove(self)


class _HashingFile:
    def __init__(self, f: Any, h: Any) -> None:
        self.f = f
        self.h = h

    def write(self, b: Any) -> int:
        self.h.update(b)
        return self.f.write(b)


def _end_for_exception(run: Run, exc_type: Any, exc: Any, tb: Any) -> None:
    if issubclass(exc_type, SystemExit) and (exc is None or exc.code in (None, 0)) and _received_signal is None:
        run.end("FINISHED")
        return
    text = "".join(_traceback.format_exception(exc_type, exc, tb))
    error = "%s: %s" % (exc_type.__name__, exc) if exc is not None and str(exc) else exc_type.__name__
    if issubclass(exc_type, KeyboardInterrupt) or _received_signal is not None:
        run.end("KILLED", error=error, traceback=text, signal_name=_received_signal or "SIGINT")
    else:
        run.end("FAILED", error=error, traceback=text)


# ----------------------------------------------------------------------------------------------------------------
# Process hooks: uncaught exceptions, termination signals, interpreter exit


def _owned_runs() -> List[Run]:
    with _lock:
        return [r for r in reversed(_active) if r._pid == os.getpid()]


def _excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
    try:
        for r in _owned_runs():
            _end_for_exception(r, exc_type, exc, tb)
    except Exception:
        pass
    _prev_excepthook(exc_type, exc, tb)


_prev_excepthook: Callable[..., Any] = sys.excepthook


def _on_exit() -> None:
    code = _exit_code
    for r in _owned_runs():
        try:
            if _received_signal is not None:
                r.end("KILLED", signal_name=_received_signal)
            elif code not in (None, 0):
                # sys.exit(n) with n != 0 (or a message): the script reported a failure
                r.end("FAILED", error="SystemExit: %s" % (code,))
            else:
                r.end("FINISHED")
        except Exception:
            pass


def _sys_exit(status: Any = None) -> None:
    """sys.exit, remembering its argument: atexit handlers cannot see the exit status, and a run ended there by
    the module-level API must be FAILED after sys.exit(1) and FINISHED after sys.exit(0)."""
    global _exit_code
    _exit_code = status
    _orig_sys_exit(status)


def _heartbeat_interval() -> float:
    try:
        v = float(os.environ.get("MLSIGHT_HEARTBEAT_S") or 30)
    except ValueError:
        v = 30.0
    return v if math.isfinite(v) and v >= 0.05 else 30.0


def _heartbeat_loop(interval: float) -> None:
    while True:
        time.sleep(interval)
        for r in _owned_runs():
            if r.status == "RUNNING":
                r._beat()


def _ensure_heartbeat() -> None:
    """One daemon thread per process beats for every open run it owns (not started again after a fork)."""
    global _hb_thread, _hb_pid
    if _hb_thread is not None and _hb_thread.is_alive() and _hb_pid == os.getpid():
        return
    _hb_pid = os.getpid()
    t = threading.Thread(target=_heartbeat_loop, args=(_heartbeat_interval(),), name="mlsight-heartbeat", daemon=True)
    t.start()
    _hb_thread = t


def _on_signal(signum: int, frame: Any) -> None:
    global _received_signal
    prev = _prev_handlers.get(signum, signal.SIG_DFL)
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = "signal %d" % signum
    if _owned_runs():
        _received_signal = name
    if callable(prev):
        # A Python handler (the default SIGINT handler raising KeyboardInterrupt, or the user's own) decides what
        # happens; the run ends as KILLED when the resulting exception or exit reaches us.
        prev(signum, frame)
        return
    # The default action is to die: record the runs as KILLED first, then die of the same signal.
    for r in _owned_runs():
        try:
            r.end("KILLED", signal_name=name)
        except Exception:
            pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_hooks() -> None:
    global _hooks_installed, _signals_installed, _prev_excepthook, _owner_pid, _orig_sys_exit
    if not _hooks_installed or _owner_pid != os.getpid():
        _hooks_installed = True
        _owner_pid = os.getpid()
        if sys.excepthook is not _excepthook:
            _prev_excepthook = sys.excepthook
            sys.excepthook = _excepthook
        if sys.exit is not _sys_exit:
            _orig_sys_exit = sys.exit
            sys.exit = _sys_exit
        atexit.register(_on_exit)
    if _signals_installed or threading.current_thread() is not threading.main_thread():
        return  # handlers can only be installed from the main thread (a later run started there installs them)
    _signals_installed = True
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            prev = signal.getsignal(signum)
            if prev is _on_signal or prev == signal.SIG_IGN or prev is None:
                continue  # ignored (e.g. nohup) or set outside Python: leave as is
            _prev_handlers[signum] = prev
            signal.signal(signum, _on_signal)
        except (ValueError, OSError, RuntimeError):
            pass


# ----------------------------------------------------------------------------------------------------------------
# Module-level API (acts on the active run, starting one if there is none, like mlflow.log_param)


def start_run(experiment: Optional[str] = None, name: Optional[str] = None, tags: Optional[Mapping[str, Any]] = None,
              description: Optional[str] = None, workspace: Optional[PathLike] = None, nested: bool = False,
              capture: bool = True) -> Run:
    """Starts a run and makes it the active one. Use as `with mlsight.start_run(...) as run:`.

    experiment defaults to $MLSIGHT_EXPERIMENT or "Default"; name to "<script>-<date>-<time>". capture=False skips
    the environment, package and git capture. A second run while one is active needs nested=True."""
    global _received_signal, _pending_seed, _exit_code
    with _lock:
        parent = active_run()
        if parent is not None and not nested:
            raise RuntimeError("mlsight: run %s is already active; end it first or pass nested=True" % parent.run_id)
        _install_hooks()
        if parent is None:
            _received_signal = None  # a signal caught before this run started is not this run's
            _exit_code = None
        run = Run(experiment=experiment, name=name, tags=tags, description=description, workspace=workspace,
                  capture=capture, parent=parent)
        _active.append(run)
        _ensure_heartbeat()
        if _pending_seed is not None:
            run._record_seed(_pending_seed)
            _pending_seed = None
        return run


def active_run() -> Optional[Run]:
    """The innermost active run, or None. A forked child (multiprocessing worker) sees its parent's active run and
    may log to it; only the process that started a run ends it."""
    with _lock:
        return _active[-1] if _active else None


def end_run(status: str = "FINISHED") -> None:
    """Ends the active run (no-op without one)."""
    r = active_run()
    if r is not None:
        r.end(status)


def _run() -> Run:
    r = active_run()
    if r is None:
        with _lock:
            r = active_run() or start_run()
    return r


def log_param(key: str, value: Any) -> None:
    _run().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    _run().log_params(params)


def log_metric(key: str, value: Any, step: Optional[int] = None) -> None:
    _run().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
    _run().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    _run().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    _run().set_tags(tags)


def log_artifact(path: PathLike, artifact_path: Optional[str] = None, copy: bool = True) -> List[str]:
    return _run().log_artifact(path, artifact_path, copy)


def log_dataset(name: str, data: Any, role: str = "train", source: Optional[PathLike] = None) -> Dict[str, Any]:
    return _run().log_dataset(name, data, role, source)


def log_predictions(y_true: Iterable[Any], y_pred: Iterable[Any], dataset: str = "test", role: str = "test") -> str:
    return _run().log_predictions(y_true, y_pred, dataset=dataset, role=role)


def log_evaluation(name: str, data: Any, y_true: Iterable[Any], y_pred: Iterable[Any], role: str = "test",
                   metrics: Optional[Mapping[str, Any]] = None, source: Optional[PathLike] = None) -> Dict[str, Any]:
    return _run().log_evaluation(name, data, y_true, y_pred, role=role, metrics=metrics, source=source)


def log_model(model: Any, name: Optional[str] = None, registered_name: Optional[str] = None) -> str:
    return _run().log_model(model, name, registered_name)


def log_feature_importance(names: Sequence[Any], values: Sequence[Any], step: Optional[int] = None) -> None:
    _run().log_feature_importance(names, values, step)


def set_seed(seed: int, deterministic: bool = True) -> Dict[str, Any]:
    """Seeds Python's random, numpy, torch (CPU and every CUDA device) and, when already imported, TensorFlow;
    each only if installed. With deterministic=True, sets torch.backends.cudnn.deterministic = True and
    .benchmark = False and CUBLAS_WORKSPACE_CONFIG (if unset). Sets PYTHONHASHSEED for child processes: this
    process's str hashes were fixed at its start, so export PYTHONHASHSEED before starting Python for that.
    Records the seed on the active run (or on the next run started, if none is active) and returns what was done."""
    global _pending_seed
    if isinstance(seed, (bool, str, bytes)):
        raise TypeError("mlsight: the seed must be an integer, got %r" % (seed,))
    if not isinstance(seed, int):
        try:
            if float(seed) != int(seed):  # type: ignore[arg-type]
                raise ValueError
            seed = int(seed)  # numpy integers
        except (TypeError, ValueError):
            raise TypeError("mlsight: the seed must be an integer") from None
    if not 0 <= seed < 2 ** 32:
        raise ValueError("mlsight: the seed must be between 0 and 2**32 - 1 (numpy's range), got %d" % seed)
    import importlib
    import importlib.util
    import random

    done: List[str] = []
    random.seed(seed)
    done.append("random")
    os.environ["PYTHONHASHSEED"] = str(seed)

    def installed(mod: str) -> bool:
        if mod in sys.modules:
            return sys.modules[mod] is not None
        try:
            return importlib.util.find_spec(mod) is not None
        except (ImportError, ValueError):
            return False

    if installed("numpy"):
        try:
            np = importlib.import_module("numpy")
            np.random.seed(seed)
            done.append("numpy")
        except Exception as e:  # a broken install must not stop training
            warnings.warn("mlsight.set_seed: could not seed numpy: %s" % e)
    cudnn_flags = None
    if installed("torch"):
        try:
            torch = importlib.import_module("torch")
            torch.manual_seed(seed)  # CPU and all CUDA devices
            done.append("torch")
            cuda = getattr(torch, "cuda", None)
            if cuda is not None and cuda.is_available():
                cuda.manual_seed_all(seed)
                done.append("torch.cuda")
            if deterministic:
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
                cudnn = getattr(getattr(torch, "backends", None), "cudnn", None)
                if cudnn is not None:
                    cudnn.deterministic = True
                    cudnn.benchmark = False
                    cudnn_flags = {"deterministic": True, "benchmark": False}
        except Exception as e:
            warnings.warn("mlsight.set_seed: could not seed torch: %s" % e)
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            tf.random.set_seed(seed)
            done.append("tensorflow")
        except Exception as e:
            warnings.warn("mlsight.set_seed: could not seed tensorflow: %s" % e)
    info: Dict[str, Any] = {"seed": seed, "libraries": done, "deterministic": bool(deterministic),
                            "pythonhashseed": _STARTUP_HASHSEED}
    if cudnn_flags is not None:
        info["cudnn"] = cudnn_flags
    r = active_run()
    if r is not None:
        r._record_seed(info)
        _pending_seed = None
    else:
        _pending_seed = info
    return dict(info)


# ----------------------------------------------------------------------------------------------------------------
# Registry: registration requests, canary routing and A/B outcomes

REGISTRY_FILE = "registry.json"
AB_DIR = "ab"
VARIANTS = ("champion", "challenger")
_AB_RESERVED = ("model", "variant", "request_key", "version")
# path of registry.json -> ((mtime_ns, size, ino), parsed content or None)
_registry_cache: Dict[str, Tuple[Tuple[int, int, int], Optional[Dict[str, Any]]]] = {}
_workspace_cache: Dict[Tuple[str, str], str] = {}


def _registered_name(name: Any) -> str:
    """A registered model name as ML Sight's registry accepts it (any text, trimmed, no control characters)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("mlsight: registered_name must be a non-empty string, got %r" % (name,))
    if name != name.strip() or len(name) > 256 or re.search(r"[\x00-\x1f\x7f]", name):
        raise ValueError("mlsight: registered_name has at most 256 characters, no leading/trailing spaces and no "
                         "control characters: %r" % (name,))
    return name


def _model_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError("mlsight: the model name must be a non-empty string, got %r" % (name,))
    return name


def _workspace_for(workspace: Optional[PathLike]) -> str:
    if workspace is not None:
        return os.path.abspath(_fspath(workspace))
    key = (os.getcwd(), os.environ.get("MLSIGHT_WORKSPACE") or "")
    root = _workspace_cache.get(key)
    if root is None:
        root = find_workspace()
        _workspace_cache[key] = root
    return root


def _read_registry(workspace: Optional[PathLike] = None) -> Optional[Dict[str, Any]]:
    """The serving view the extension writes to .mlsight/registry.json (cached; re-read when the file changes)."""
    path = os.path.join(_workspace_for(workspace), STORE_DIR, REGISTRY_FILE)
    try:
        st = os.stat(path)
    except OSError:
        _registry_cache.pop(path, None)
        return None
    sig = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _registry_cache.get(path)
    if hit is not None and hit[0] == sig:
        return hit[1]
    data: Optional[Dict[str, Any]] = None
    try:
        with open(path, "rb") as f:
            parsed = json.loads(f.read().decode("utf-8"))
        if isinstance(parsed, dict):
            data = parsed
    except (OSError, ValueError):
        data = None  # written atomically by the extension, so only a foreign file can be broken: route to champion
    _registry_cache[path] = (sig, data)
    return data


def _canary(model_name: str, workspace: Optional[PathLike] = None) -> Optional[Tuple[int, float]]:
    reg = _read_registry(workspace)
    models = reg.get("models") if reg else None
    m = models.get(model_name) if isinstance(models, dict) else None
    c = m.get("canary") if isinstance(m, dict) else None
    if not isinstance(c, dict):
        return None
    share, version = c.get("share"), c.get("challenger")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
        return None
    return (int(version) if isinstance(version, int) else 0, float(share))


def _bucket(model_name: str, request_key: Any) -> float:
    """A uniform number in [0, 1) fixed by (model, key): the first 8 bytes of sha256(model + NUL + key)."""
    if isinstance(request_key, bytes):
        kb = request_key
    elif isinstance(request_key, str):
        kb = request_key.encode("utf-8", "surrogatepass")
    elif request_key is None or isinstance(request_key, (int, float)) or hasattr(request_key, "__index__"):
        kb = str(request_key).encode("utf-8")
    else:
        kb = str(request_key).encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(model_name.encode("utf-8", "surrogatepass") + b"\0" + kb).digest()
    return int.from_bytes(digest[:8], "big") / 18446744073709551616.0


class Route(str):
    """What `route` returns: the string "champion" or "challenger" (it compares equal to them, so existing code
    keeps working) with `.variant` and `.version`, the registered version that serves the request (None when the
    registry does not say, e.g. no @champion alias yet). Pass it to `log_outcome(..., variant=route)`."""

    version: Optional[int]

    def __new__(cls, variant: str, version: Optional[int]) -> "Route":
        o = str.__new__(cls, variant)
        o.version = version
        return o

    @property
    def variant(self) -> str:
        return str(self)


def _champion_version(model_name: str, workspace: Optional[PathLike] = None) -> Optional[int]:
    reg = _read_registry(workspace)
    models = reg.get("models") if reg else None
    m = models.get(model_name) if isinstance(models, dict) else None
    aliases = m.get("aliases") if isinstance(m, dict) else None
    v = aliases.get("champion") if isinstance(aliases, dict) else None
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def route(model_name: str, request_key: Any, workspace: Optional[PathLike] = None) -> Route:
    """Which model serves this request: "champion" or "challenger" (a `Route`, a str with `.version`: the version
    number that serves it). The key (a user or request id; str, bytes or a number) is hashed with the model name;
    the request goes to the challenger when the hash, as a number in [0, 1), is below the canary's traffic share in
    .mlsight/registry.json. The same key always gets the same answer (sticky), and raising the share only moves
    champion keys to the challenger. "champion" when the model has no canary (or there is no registry.json)."""
    name = _model_name(model_name)
    c = _canary(name, workspace)
    if c is not None and c[0] > 0 and _bucket(name, request_key) < c[1]:
        return Route("challenger", c[0])
    return Route("champion", _champion_version(name, workspace))


def ab_outcomes_path(model_name: str, workspace: Optional[PathLike] = None) -> str:
    """.mlsight/ab/<model>.jsonl (runs of characters other than letters, digits, '_', '.', '-' become '_')."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", _model_name(model_name))
    return os.path.join(_workspace_for(workspace), STORE_DIR, AB_DIR, safe + ".jsonl")


def _outcome_value(key: str, v: Any) -> Any:
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int) or (hasattr(v, "__index__") and not isinstance(v, float)):
        try:
            return int(v)
        except TypeError:
            pass
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError("mlsight.log_outcome: metric %r must be a number or a bool, got %r" % (key, v)) from None
    if not math.isfinite(f):
        raise ValueError("mlsight.log_outcome: metric %r must be finite, got %r" % (key, v))
    return f


def log_outcome(model_name: str, request_key: Any, variant: Optional[str] = None,
                workspace: Optional[PathLike] = None, version: Optional[int] = None, **metrics: Any) -> Dict[str, Any]:
    """Appends one outcome of an A/B test to .mlsight/ab/<model>.jsonl: {"model", "variant", "request_key",
    "ts", "version", <metrics>}. variant defaults to route(model_name, request_key); the version that served the
    request comes from the Route that route() returned (or give version=n). The promotion gate counts only
    outcomes of the exact versions it compares, logged inside their canary window; metrics are numbers (business metrics
    such as converted=1 or revenue=12.5, guardrails such as latency_ms=87), bools become 0/1. One write per line
    on a file opened with O_APPEND, so many processes may log at once. Returns the record written."""
    name = _model_name(model_name)
    if variant is None:
        variant = route(name, request_key, workspace)
    elif variant not in VARIANTS:
        raise ValueError("mlsight.log_outcome: variant must be 'champion' or 'challenger', got %r" % (variant,))
    if version is None:
        version = variant.version if isinstance(variant, Route) else None
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError("mlsight.log_outcome: version must be a version number, got %r" % (version,))
    if not metrics:
        raise ValueError("mlsight.log_outcome: give at least one metric, e.g. converted=1")
    rec: Dict[str, Any] = {"model": name, "variant": str(variant),
                           "request_key": request_key if isinstance(request_key, str) else
                           (int(request_key) if isinstance(request_key, int) and not isinstance(request_key, bool)
                            else str(request_key)),
                           "ts": _now_ms()}
    if version is not None:
        rec["version"] = version  # the version that served the request: the gate counts only exact versions
    for k, v in metrics.items():
        if k in _AB_RESERVED or k == "ts":
            raise ValueError("mlsight.log_outcome: %r is reserved, choose another metric name" % (k,))
        rec[k] = _outcome_value(k, v)
    line = (json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8", "surrogatepass")
    path = ab_outcomes_path(name, workspace)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    try:
        n = os.write(fd, line)
        if n != len(line):  # regular files do not write short unless the disk is full
            raise OSError("mlsight.log_outcome: short write to %s (%d of %d bytes)" % (path, n, len(line)))
    finally:
        os.close(fd)
    return rec


# ---------------------------------------------------------------------------------------------------------------
# Prediction logs (drift monitoring): .mlsight/predictions/<model>.jsonl, read by ML Sight's drift report

PREDICTIONS_DIR = "predictions"


def predictions_path(model_name: str, workspace: Optional[PathLike] = None) -> str:
    """.mlsight/predictions/<model>.jsonl (runs of characters other than letters, digits, '_', '.', '-' become '_')."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", _model_name(model_name))
    return os.path.join(_workspace_for(workspace), STORE_DIR, PREDICTIONS_DIR, safe + ".jsonl")


def _prediction_value(v: Any, depth: int = 0) -> Any:
    """A JSON value for a feature, prediction or label: numpy/pandas/torch scalars become Python numbers; NaN and
    ±inf become "NaN"/"Infinity"/"-Infinity"; pandas' NA/NaT become null; datetimes become ISO text."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if -_MAX_SAFE_INT <= v <= _MAX_SAFE_INT else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else _nonfinite_text(v)
    mod = type(v).__module__.split(".")[0]
    if mod == "pandas":
        pd = _module_of("pandas")  # v is a pandas object, so pandas is imported
        if pd is not None and (v is getattr(pd, "NA", None) or v is getattr(pd, "NaT", None)):
            return None
    isoformat = getattr(v, "isoformat", None)
    if callable(isoformat) and hasattr(v, "year"):  # datetime, date, pandas.Timestamp
        try:
            return isoformat()
        except Exception:
            return str(v)
    if mod in ("numpy", "torch", "pandas") and getattr(v, "ndim", 0) == 0 and callable(getattr(v, "item", None)):
        try:
            return _prediction_value(v.item(), depth + 1)
        except Exception:
            return str(v)
    if depth < 8 and callable(getattr(v, "tolist", None)):
        try:
            return _prediction_value(v.tolist(), depth + 1)
        except Exception:
            return str(v)
    if depth < 8 and isinstance(v, (list, tuple)):
        return [_prediction_value(x, depth + 1) for x in v]
    if depth < 8 and isinstance(v, dict):
        return {str(k): _prediction_value(x, depth + 1) for k, x in v.items()}
    return str(v)


def _timestamp_ms(timestamp: Any) -> int:
    """Milliseconds since the epoch from None (now), a datetime (naive = local time, as datetime.timestamp()), a
    number of seconds since the epoch (like time.time()) or an ISO 8601 text."""
    if timestamp is None:
        return _now_ms()
    if isinstance(timestamp, str):
        import datetime as _dt
        text = timestamp.strip()
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        try:
            d = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("mlsight.log_prediction: timestamp %r is not an ISO 8601 date-time" % (timestamp,)) from None
        if d.tzinfo is None:
            d = d.replace(tzinfo=_dt.timezone.utc)
        return int(round(d.timestamp() * 1000))
    ts = getattr(timestamp, "timestamp", None)
    if callable(ts):  # datetime, pandas.Timestamp
        return int(round(float(ts()) * 1000))
    if isinstance(timestamp, bool):
        raise TypeError("mlsight.log_prediction: timestamp must be a datetime, seconds since the epoch or ISO text")
    try:
        f = float(timestamp)
    except (TypeError, ValueError):
        raise TypeError("mlsight.log_prediction: timestamp must be a datetime, seconds since the epoch or ISO text, "
                        "got %s" % type(timestamp).__name__) from None
    if not math.isfinite(f):
        raise ValueError("mlsight.log_prediction: timestamp must be finite, got %r" % (timestamp,))
    return int(round(f * 1000))


def _append_line(path: str, rec: Dict[str, Any], what: str) -> None:
    line = (json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8", "backslashreplace")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    try:
        n = os.write(fd, line)
        if n != len(line):  # regular files do not write short unless the disk is full
            raise OSError("%s: short write to %s (%d of %d bytes)" % (what, path, n, len(line)))
    finally:
        os.close(fd)


def _prediction_id(prediction_id: Any, what: str) -> str:
    if prediction_id is None:
        return uuid.uuid4().hex
    if isinstance(prediction_id, bool) or not isinstance(prediction_id, (str, int)) or prediction_id == "":
        raise ValueError("%s: prediction_id must be a non-empty string or an integer, got %r" % (what, prediction_id))
    return str(prediction_id)


def log_prediction(model_name: str, features: Mapping[str, Any], prediction: Any, label: Any = None,
                   timestamp: Any = None, prediction_id: Any = None, workspace: Optional[PathLike] = None) -> str:
    """Appends one prediction to .mlsight/predictions/<model>.jsonl: {"id", "ts", "features", "prediction"
    [, "label"]}. features is a mapping (a dict or a pandas Series) of feature name to value; numpy/pandas scalars
    are converted, NaN/inf are written as "NaN"/"Infinity". ts is milliseconds since the epoch (now, or
    `timestamp`: a datetime, seconds since the epoch, or ISO text). The label may come later with log_label(). One
    write per line on a file opened with O_APPEND, so many processes may log at once. Returns the prediction's id
    (prediction_id, or a new uuid4 hex)."""
    name = _model_name(model_name)
    if hasattr(features, "to_dict") and callable(features.to_dict) and not isinstance(features, Mapping):
        features = features.to_dict()  # pandas Series
    if not isinstance(features, Mapping):
        raise TypeError("mlsight.log_prediction: features must be a dict of feature name to value, got %s"
                        % type(features).__name__)
    pid = _prediction_id(prediction_id, "mlsight.log_prediction")
    rec: Dict[str, Any] = {"id": pid, "ts": _timestamp_ms(timestamp),
                           "features": {_key(k, "a feature name"): _prediction_value(v) for k, v in features.items()},
                           "prediction": _prediction_value(prediction)}
    if label is not None:
        rec["label"] = _prediction_value(label)
    _append_line(predictions_path(name, workspace), rec, "mlsight.log_prediction")
    return pid


def log_label(model_name: str, prediction_id: Any, label: Any, workspace: Optional[PathLike] = None) -> str:
    """Appends the label (ground truth) of an earlier prediction, when it arrives later: {"id", "ts", "label"} in
    the same file. ML Sight joins it to the prediction by id when it reads the log (the last label wins). Returns
    the id."""
    name = _model_name(model_name)
    if prediction_id is None:
        raise ValueError("mlsight.log_label: give the id log_prediction returned")
    pid = _prediction_id(prediction_id, "mlsight.log_label")
    _append_line(predictions_path(name, workspace), {"id": pid, "ts": _now_ms(), "label": _prediction_value(label)},
                 "mlsight.log_label")
    return pid
