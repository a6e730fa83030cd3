"""from_keras's view of ops: each Keras Operation class maps to its catalogue op, and the op's
arguments read back from the Operation instance equal the ones graphspec bound."""

import sys
import warnings

import keras

from graphspec.catalog import ops
from graphspec.catalog.ops import keras_classes

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import test_ops_differential as grid  # noqa: E402  (the same cases as the differential test)


def test_every_op_records_a_class_that_maps_back_with_its_arguments():
    seen = {}
    for family in grid.FAMILIES:
        for name, kwargs, inputs in family(False):
            ours, config = grid.graphspec_side(name, kwargs, inputs)
            if ours in ("raise", []) or name == "arange":
                continue
            tensors = [x.value if isinstance(x, grid.Scalar) else keras.KerasTensor(x[0], dtype=x[1]) for x in inputs]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name == "getitem":
                    out = tensors[0][config["key"]]
                else:
                    args, kw = ops.call_args(name, tensors, config)
                    out = getattr(keras.ops, ops.get(name).keras)(*args, **kw)
            op = (out[0] if isinstance(out, list) else out)._keras_history[0]
            qualified = f"{type(op).__module__}.{type(op).__name__}"
            assert keras_classes.op_for_class(qualified) == name, qualified
            extra = {"key": config["key"]} if name == "getitem" else None
            back = keras_classes.config_of(name, op, extra)
            want = {k: keras_classes._plain(v) for k, v in config.items()}
            if name == "one_hot" and want["dtype"] is None:
                want["dtype"] = "float32"  # keras.ops.one_hot standardises dtype=None to floatx
            if name == "reshape" and isinstance(want["newshape"], int):
                want["newshape"] = (want["newshape"],)  # keras.ops.reshape stores a tuple
            if name in ("cast",):
                want["dtype"] = keras.backend.standardize_dtype(want["dtype"])
            assert back == want, (name, back, want)
            seen[name] = qualified
    assert set(seen) == set(ops.names()) - {"arange"}
    x = keras.KerasTensor((None, 3))
    assert keras_classes.op_for_class(f"{type((x / x)._keras_history[0]).__module__}.TrueDivide") == "divide"
