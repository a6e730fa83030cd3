"""Which catalogue op a Keras Operation class is (for from_keras), and its arguments (no Keras import).

A functional model records each keras.ops call as a node whose operation is an instance of a
class such as keras.src.ops.numpy.Add; `x / y` on KerasTensors records TrueDivide.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

# "module.Class" -> op name. Checked against Keras by tests/catalog/test_ops_keras_classes.py.
KERAS_CLASSES = {
    **{f"keras.src.ops.numpy.{cls}": op for cls, op in {
        "Absolute": "abs", "Add": "add", "Argmax": "argmax", "Clip": "clip", "Concatenate": "concatenate",
        "Divide": "divide", "TrueDivide": "divide", "Einsum": "einsum", "Exp": "exp", "ExpandDims": "expand_dims",
        "FloorDivide": "floor_divide", "GetItem": "getitem", "Log": "log", "Matmul": "matmul", "Max": "max",
        "Maximum": "maximum", "Mean": "mean", "Min": "min", "Minimum": "minimum", "Mod": "mod",
        "Multiply": "multiply", "Negative": "negative", "OnesLike": "ones_like", "Power": "power",
        "Reshape": "reshape", "Split": "split", "Sqrt": "sqrt", "Square": "square", "Squeeze": "squeeze",
        "Stack": "stack", "Subtract": "subtract", "Sum": "sum", "Tanh": "tanh", "Transpose": "transpose",
        "Where": "where", "ZerosLike": "zeros_like"}.items()},
    **{f"keras.src.ops.nn.{cls}": op for cls, op in {
        "Gelu": "gelu", "HardSigmoid": "hard_sigmoid", "HardSilu": "hard_silu", "Normalize": "normalize",
        "OneHot": "one_hot", "Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "Silu": "silu",
        "Softmax": "softmax"}.items()},
    "keras.src.ops.math.Erf": "erf",
    "keras.src.ops.linalg.Norm": "norm",
    "keras.src.ops.core.Cast": "cast",
}


# op name -> the Keras Operation class name its builder call records (the first class of an op:
# `keras.ops.divide` records Divide, Python's `/` on KerasTensors TrueDivide)
_CLASS_OF = {}
for _qualified, _op in KERAS_CLASSES.items():
    _CLASS_OF.setdefault(_op, _qualified.rsplit(".", 1)[1])


def class_for_op(name: str) -> Optional[str]:
    """The Keras Operation class name (`GetItem`) an op's application shows in Keras's summary."""
    return _CLASS_OF.get(name)


def op_for_class(qualified: str) -> Optional[str]:
    """The op name of a Keras Operation class given as "module.Class", or None."""
    return KERAS_CLASSES.get(qualified)


def config_of(name: str, operation, call_kwargs: Optional[dict] = None) -> dict:
    """The bound arguments of op `name` read from a Keras Operation instance (its attributes are
    named after the function's parameters; getitem's `key` is a call argument of the node)."""
    from graphspec.catalog import ops
    from graphspec.catalog.ops._bind import signature

    entry = ops.get(name)
    params, _var = signature(entry.keras)
    out = {}
    for p in params:
        if p.name in entry.tensors:
            continue
        if call_kwargs and p.name in call_kwargs:
            value = call_kwargs[p.name]
        else:
            value = getattr(operation, p.name, p.default)
        out[p.name] = _plain(value)
    if name in ("mean", "sum", "max", "min", "norm") and isinstance(out.get("axis"), tuple) \
            and len(out["axis"]) == 1:
        out["axis"] = out["axis"][0]  # Keras stores axis=1 as [1]
    return out


def _plain(value):
    """Lists as tuples (a spec writes tuples); everything else as is."""
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value
