"""The shape of a catalogue entry: one per Keras layer, no Keras import."""

from __future__ import annotations

from graphspec.diagnostics import codes
from graphspec.diagnostics.codes import Code, code_id
from graphspec.record import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, Sequence, Tuple, Union

    # A static shape includes the batch axis: (None, 28, 28, 1). Unknown dims are None.
    Shape = Tuple[Optional[int], ...]
    # A rule returns one shape, or a list of shapes for a layer with several outputs.
    ShapeResult = Union[Shape, list]


class ShapeError(Exception):
    """A layer cannot be applied to the shapes it receives (Keras would raise)."""

    def __init__(self, message: str, help: str | None = None, code: Code | str = codes.E401):
        super().__init__(message)
        self.message = message
        self.help = help
        self.code = code_id(code)  # the id, as a Diagnostic holds it


class ArgError(Exception):
    """A layer argument has a wrong type or an out-of-range value."""

    def __init__(self, param: str, message: str, help: str | None = None, code: Code | str = codes.E302):
        super().__init__(message)
        self.param = param
        self.message = message
        self.help = help
        self.code = code_id(code)  # the id, as a Diagnostic holds it


class CallValue(FrozenRecord):
    """A call written as an argument value: `L2(1e-4)`, `LSTM(16)` inside `Bidirectional(...)`.

    `config` holds the arguments bound to names (positional ones resolved through the
    callee's signature, defaults filled in) when the callee is a catalogue layer.
    """

    __slots__ = _fields = ("callee", "args", "kwargs", "config")
    _defaults = {"args": (), "kwargs": (), "config": None}

    callee: str
    args: tuple
    kwargs: tuple  # tuple of (name, value) pairs, in source order
    config: Any  # dict for catalogue layers, else None

    def kwargs_dict(self) -> dict:
        return dict(self.kwargs)


# How a step that receives several tensors hands them to the Keras layer.
SINGLE = "single"  # layer(x)
LIST = "list"  # layer([a, b, ...])            merge layers
ATTENTION = "attention"  # layer(query, value[, key])   MultiHeadAttention & co.


def _no_params(cfg, shapes) -> Tuple[int, int]:
    return 0, 0


class LayerEntry(FrozenRecord):
    """Everything graphspec knows about one Keras layer class."""

    __slots__ = _fields = ("name", "shape", "params", "call", "min_inputs", "max_inputs", "validate",
                           "aliases", "summary", "layer_params", "dtype")
    _defaults = {"params": lambda: _no_params, "call": SINGLE, "min_inputs": 1, "max_inputs": 1,
                 "validate": None, "aliases": (), "summary": "", "layer_params": (), "dtype": None}

    name: str  # canonical Keras class name, e.g. "Conv2D"
    shape: Callable[[dict, Sequence[Shape]], ShapeResult]
    params: Callable[[dict, Sequence[Shape]], Tuple[int, int]]  # default: no weights
    call: str  # default SINGLE
    min_inputs: int  # default 1
    max_inputs: Optional[int]  # default 1
    # Extra validation of the bound config beyond types/ranges known per parameter name.
    validate: Optional[Callable[[dict], None]]
    aliases: Tuple[str, ...]
    summary: str  # one-line shape rule, for `graphspec layers` and docs
    # Parameter names whose value is itself a layer call (Bidirectional's `layer`).
    layer_params: Tuple[str, ...]
    # Output dtype from (config, input dtypes), where it is not the layer's float compute
    # dtype (int64 lookup indices, a Reshape of int ids); None means the compute dtype.
    dtype: Optional[Callable[[dict, Sequence[str]], Optional[str]]]


# Keras classes that load or run code: a spec may not name them anywhere (as a step, as an
# argument value, inside another call), and the Keras builder refuses them too. Each reason
# is shown in the diagnostic (E210); Keras's own `safe_mode` refuses these when loading a model.
UNSAFE_CLASSES = {
    "Lambda": "runs a Python function",
    "TFSMLayer": "loads a TensorFlow SavedModel from disk, whose graph can run arbitrary TensorFlow ops "
                 "(file writes included) when it is loaded and called",
    "TorchModuleWrapper": "wraps a PyTorch module object, i.e. Python code",
    "JaxLayer": "wraps JAX functions, i.e. Python code",
    "FlaxLayer": "wraps a Flax module object, i.e. Python code",
}
