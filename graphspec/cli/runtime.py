"""Running Keras for a command that builds: quietly, with a progress line, or a clean error.

TensorFlow prints start-up logs on file descriptor 2 from C++ (absl's "All log messages before
absl::InitializeLog() is called..." line and the CPU-feature banner), which TF_CPP_MIN_LOG_LEVEL
alone does not silence: unless `--verbose`, the log level is raised before TensorFlow is imported
and descriptor 2 is pointed at a scratch file around the import, the build and the save (Python
warnings raised meanwhile go there too). On a terminal, one progress line on stderr says what is
happening (a TensorFlow import takes seconds); it is erased when the step ends.

A Keras backend that cannot be used (`KERAS_BACKEND=torch` without torch, a misspelt name) is one
`graphspec: error:` line with what to install, exit status 2, instead of Keras's traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading

from graphspec.cli.common import Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Optional

BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")
# What `pip install` brings each backend's package (none for numpy: Keras needs it anyway).
_INSTALL = {"tensorflow": "pip install 'graphspec[keras]'", "jax": "pip install jax", "torch": "pip install torch",
            "openvino": "pip install openvino", "numpy": "pip install numpy"}
_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR", "GLOG_minloglevel": "3"}
_FRAMES = "|/-\\"


def _unusable(exc: BaseException) -> Usage:
    """The one line for a Keras that cannot be imported with its configured backend."""
    from graphspec.text import safe_text

    chosen = os.environ.get("KERAS_BACKEND", "")
    missing = getattr(exc, "name", None)
    top = missing.split(".")[0] if missing else None
    if top == "keras" or (top == "tensorflow" and chosen in ("", "tensorflow")):
        return Usage("this command builds Keras models and needs Keras and TensorFlow: "
                     "pip install 'graphspec[keras]'")
    name = chosen or "the backend of keras.json (KERAS_HOME or ~/.keras)"
    shown = safe_text(name)
    if chosen and chosen not in BACKENDS:
        return Usage(f"KERAS_BACKEND={shown} is not a Keras backend: use one of {', '.join(BACKENDS)} "
                     f"(or unset it to use TensorFlow)")
    if top:
        fix = _INSTALL.get(top) or (_INSTALL.get(chosen) if chosen else None) or f"pip install {safe_text(top)}"
        return Usage(f"Keras cannot use {'its ' + shown + ' backend' if chosen else shown}: the `{safe_text(top)}` "
                     f"package is not installed: {fix}"
                     + (", or unset KERAS_BACKEND to use TensorFlow" if chosen else ""))
    message = safe_text(" ".join(str(exc).split()) or type(exc).__name__)
    return Usage(f"Keras cannot start with {shown}: {message}; set KERAS_BACKEND=tensorflow "
                 f"({_INSTALL['tensorflow']})")


class _Spinner:
    """A progress line on a terminal: `| importing TensorFlow`, turning until the step ends."""

    def __init__(self, fd: int, text: str):
        self.fd, self.text = fd, text
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)

    def _write(self, text: str) -> None:
        try:
            os.write(self.fd, text.encode("utf-8", "replace"))
        except OSError:
            pass

    def _spin(self) -> None:
        i = 0
        while not self.done.is_set():
            self._write(f"\r{_FRAMES[i % len(_FRAMES)]} {self.text}...")
            i += 1
            self.done.wait(0.1)
        self._write("\r\x1b[K")  # erase the line: what follows starts clean

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()


class Runtime:
    """Keras for one command: `verbose` shows TensorFlow's logs and no progress line."""

    def __init__(self, verbose: bool = False):
        self.verbose = verbose
        try:
            self.terminal = os.isatty(2)
        except OSError:
            self.terminal = False
        if not verbose:
            for key, value in _QUIET_ENV.items():
                os.environ.setdefault(key, value)  # read by TensorFlow's C++ side when it loads

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        """Around one slow step: descriptor 2 silenced (unless verbose), a progress line on a terminal."""
        if self.verbose:
            yield
            return
        sys.stderr.flush()
        saved = os.dup(2)
        spinner: Optional[_Spinner] = _Spinner(saved, text) if self.terminal else None
        with tempfile.TemporaryFile() as scratch:
            os.dup2(scratch.fileno(), 2)
            try:
                if spinner is not None:
                    spinner.__enter__()
                yield
            finally:
                try:
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
                if spinner is not None:
                    spinner.__exit__(None, None, None)
                os.dup2(saved, 2)
                os.close(saved)

    def import_keras(self) -> None:
        """Import Keras and its backend; Usage (exit 2) when the backend cannot be used."""
        if "keras" in sys.modules and "keras.src.backend" in sys.modules:
            return
        with self.step("importing TensorFlow"):
            try:
                import keras  # noqa: F401
            except ImportError as exc:
                raise _unusable(exc) from None
            except ValueError as exc:  # keras: "Unable to import backend : NAME"
                raise _unusable(exc) from None
        if not self.verbose:
            try:
                from absl import logging as absl_logging

                absl_logging.set_verbosity(absl_logging.ERROR)
            except ImportError:  # no absl: nothing of it to quieten
                pass


def add_options(p) -> None:
    """The options of a command that runs Keras."""
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's and Keras's own start-up logs and warnings (hidden by default)")
