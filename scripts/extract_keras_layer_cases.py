"""Extract layer cases from Keras's own layer tests, by reading their source (AST), never running them.

    python scripts/extract_keras_layer_cases.py [KERAS_SRC_LAYERS_DIR] [-o tests/fixtures/keras_layer_cases/cases.json]

A case is one layer applied to one input as a Keras test writes it: the layer class, its literal
constructor arguments, the input shapes and dtypes, and what the test expects (an output shape, an
error, or nothing said). Cases come from `self.run_layer_test(...)` calls and from `with
self.assertRaises...:` blocks that construct or call a `layers.X(...)`, each expanded over the
method's `@parameterized` cases. Values the extractor cannot read as literals (functions, arrays used
as arguments, computed objects) make the case inexpressible, with the reason.

The extracted data is committed (tests/fixtures/keras_layer_cases/cases.json) so that the
differential test (tests/catalog/test_keras_layer_cases.py) needs only the installed Keras as oracle.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "keras_layer_cases" / "cases.json"
MAX_PRODUCT = 64
# An input for a layer that a test only constructs (its error is raised by the constructor, so any
# valid input serves), where the test file has no run_layer_test case of that layer to take it from.
IMAGE = {"shape": [2, 8, 8, 3], "dtype": "float32"}
FALLBACK_INPUTS = {
    **{name: IMAGE for name in ("Cropping2D", "ZeroPadding2D", "UpSampling2D", "Conv2D", "RandomBrightness",
                                "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation",
                                "RandomZoom", "RandomGrayscale", "Resizing", "CenterCrop", "Rescaling",
                                "AutoContrast", "Solarization", "RandomColorJitter", "RandomHue", "RandomSaturation",
                                "RandomSharpness", "RandomShear", "RandomPosterization", "RandomInvert",
                                "RandomColorDegeneration", "RandomPerspective", "RandomErasing",
                                "RandomGaussianBlur", "RandomElasticTransform", "MaxPooling2D",
                                "AveragePooling2D")},
    **{name: {"shape": [2, 4, 6, 6, 3], "dtype": "float32"} for name in ("Cropping3D", "ZeroPadding3D",
                                                                         "UpSampling3D", "Conv3D")},
    **{name: {"shape": [2, 8, 3], "dtype": "float32"} for name in ("Cropping1D", "ZeroPadding1D",
                                                                   "UpSampling1D", "Conv1D")},
    **{name: {"shape": [2, 1], "dtype": "string"} for name in ("StringLookup", "TextVectorization", "Hashing")},
    "IntegerLookup": {"shape": [2, 1], "dtype": "int64"},
    "STFTSpectrogram": {"shape": [2, 160, 1], "dtype": "float32"},
    "MelSpectrogram": {"shape": [2, 160], "dtype": "float32"},
}
DEFAULT_INPUT = {"shape": [2, 8], "dtype": "float32"}  # parameterized.product cases kept per method (the rest repeat the same arguments)


class Unsupported(Exception):
    """An expression the extractor does not read as a literal."""


class Arr:
    """A numpy array of a known shape and dtype (what the test feeds the layer)."""

    def __init__(self, shape: tuple, dtype: str):
        self.shape = tuple(shape)
        self.dtype = dtype


class Call:
    """A call of a Keras class written as an argument (`layers.Dense(2)`, `initializers.Constant(1.)`)."""

    def __init__(self, module: str, name: str, args: list, kwargs: list):
        self.module, self.name, self.args, self.kwargs = module, name, args, kwargs


class ClassRef:
    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class Unknown:
    """A local whose value was not read; using it makes a case inexpressible."""

    def __init__(self, why: str):
        self.why = why


KERAS_MODULES = ("layers", "initializers", "regularizers", "constraints")
NP_FLOAT = ("random", "rand", "randn", "normal", "uniform", "random_sample")


def _src(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:80]
    except Exception:  # noqa: BLE001
        return type(node).__name__


def _dtype_name(value: Any) -> str:
    if isinstance(value, str):
        return {"float": "float64", "int": "int64", "str": "string", "object": "string"}.get(value, value)
    if isinstance(value, ClassRef):
        return {"float_": "float64", "int_": "int64", "str_": "string", "object_": "string"}.get(value.name, value.name)
    raise Unsupported("dtype")


def _nested_shape(value: Any) -> Tuple[tuple, str]:
    """Shape and dtype of a nested list literal, as np.array reads it."""
    if isinstance(value, (list, tuple)):
        if not value:
            return (0,), "float64"
        inner = [_nested_shape(v) for v in value]
        if len({s for s, _ in inner}) != 1:
            raise Unsupported("ragged array literal")
        dtypes = {d for _, d in inner}
        dtype = "string" if "string" in dtypes else "float64" if "float64" in dtypes else inner[0][1]
        return (len(value),) + inner[0][0], dtype
    if isinstance(value, bool):
        return (), "bool"
    if isinstance(value, int):
        return (), "int64"
    if isinstance(value, float):
        return (), "float64"
    if isinstance(value, str):
        return (), "string"
    if isinstance(value, Arr):
        return value.shape, value.dtype
    raise Unsupported("array element")


def _size(value: Any) -> tuple:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise Unsupported("array size")


class Evaluator:
    """Reads the literal value of an expression in an environment of names."""

    def __init__(self, env: Dict[str, Any]):
        self.env = env

    def __call__(self, node: ast.AST) -> Any:
        method = getattr(self, "ev_" + type(node).__name__, None)
        if method is None:
            raise Unsupported(_src(node))
        return method(node)

    def ev_Constant(self, node):
        return node.value

    def ev_Tuple(self, node):
        return tuple(self(e) for e in node.elts)

    def ev_List(self, node):
        return [self(e) for e in node.elts]

    def ev_Dict(self, node):
        if any(k is None for k in node.keys):
            raise Unsupported("**dict")
        return {self(k): self(v) for k, v in zip(node.keys, node.values)}

    def ev_UnaryOp(self, node):
        value = self(node.operand)
        if isinstance(node.op, ast.USub) and isinstance(value, (int, float)):
            return -value
        if isinstance(node.op, ast.Not):
            return not value
        raise Unsupported(_src(node))

    def ev_BinOp(self, node):
        a, b = self(node.left), self(node.right)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.FloorDiv: lambda: a // b, ast.Div: lambda: a / b}
        if type(node.op) not in ops or isinstance(a, (Arr, Call, Unknown)) or isinstance(b, (Arr, Call, Unknown)):
            raise Unsupported(_src(node))
        try:
            return ops[type(node.op)]()
        except Exception as exc:  # noqa: BLE001
            raise Unsupported(_src(node)) from exc

    def ev_Compare(self, node):
        if len(node.ops) != 1:
            raise Unsupported(_src(node))
        a, b = self(node.left), self(node.comparators[0])
        op = node.ops[0]
        if isinstance(op, ast.Eq):
            return a == b
        if isinstance(op, ast.NotEq):
            return a != b
        if isinstance(op, ast.In):
            return a in b
        if isinstance(op, ast.NotIn):
            return a not in b
        raise Unsupported(_src(node))

    def ev_IfExp(self, node):
        return self(node.body) if self(node.test) else self(node.orelse)

    def ev_Name(self, node):
        if node.id in self.env:
            value = self.env[node.id]
            if isinstance(value, Unknown):
                raise Unsupported(f"`{node.id}` ({value.why})")
            return value
        raise Unsupported(f"name `{node.id}`")

    def ev_Subscript(self, node):
        value = self(node.value)
        if isinstance(value, Arr):
            raise Unsupported("array slice")
        index = self(node.slice)
        try:
            return value[index]
        except Exception as exc:  # noqa: BLE001
            raise Unsupported(_src(node)) from exc

    def ev_Slice(self, node):
        return slice(*(self(p) if p is not None else None for p in (node.lower, node.upper, node.step)))

    def ev_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in KERAS_MODULES:
            return ClassRef(node.value.id, node.attr)
        if isinstance(node.value, ast.Name) and node.value.id in self.env.get("__layer_modules__", ()):
            return ClassRef("layers", node.attr)  # `relu.ReLU`, from keras.src.layers.activations import relu
        if isinstance(node.value, ast.Name) and node.value.id == "np":
            return ClassRef("np", node.attr)
        if node.attr == "shape":
            value = self(node.value)
            if isinstance(value, Arr):
                return value.shape
        raise Unsupported(_src(node))

    def ev_Call(self, node):
        func = node.func
        dotted = _src(func)
        if dotted in ("backend.config.image_data_format", "backend.image_data_format"):
            return "channels_last"
        if dotted == "backend.backend":
            return "tensorflow"
        if dotted in ("ops.convert_to_tensor", "ops.array", "backend.convert_to_tensor") and node.args:
            return self(node.args[0])
        if dotted in ("tuple", "list") and len(node.args) == 1:
            value = self(node.args[0])
            return tuple(value) if dotted == "tuple" else list(value)
        if isinstance(func, ast.Attribute) and func.attr == "reshape" and not _src(func.value).startswith("np"):
            value = self(func.value)
            shape = _size(self(node.args[0]) if len(node.args) == 1 else tuple(self(a) for a in node.args))
            if isinstance(value, Arr) and -1 not in shape:
                return Arr(shape, value.dtype)
        if isinstance(func, ast.Attribute) and func.attr == "astype":
            value = self(func.value)
            if isinstance(value, Arr) and node.args:
                return Arr(value.shape, _dtype_name(self(node.args[0])))
        if dotted.startswith("np.") or dotted.startswith("numpy."):
            return self.numpy(dotted.split(".", 1)[1], node)
        if dotted.rsplit(".", 1)[-1] == "named_product":
            return self.named_product(node)
        if dotted == "range":
            return list(range(*(self(a) for a in node.args)))
        if dotted in ("layers.Input", "Input", "KerasTensor", "backend.KerasTensor"):
            kw = {k.arg: self(k.value) for k in node.keywords}
            if "batch_shape" in kw:
                shape = tuple(kw["batch_shape"])
            else:
                shape = (None,) + tuple(kw["shape"] if "shape" in kw else self(node.args[0]))
                if dotted.endswith("KerasTensor"):
                    shape = shape[1:]  # a KerasTensor's shape includes the batch axis
            dtype = _dtype_name(kw["dtype"]) if kw.get("dtype") else "float32"
            return Arr(shape, dtype)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
                func.value.id in KERAS_MODULES or func.value.id in self.env.get("__layer_modules__", ())):
            args = [self(a) for a in node.args]
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                raise Unsupported("*args in a call")
            kwargs = [(k.arg, self(k.value)) for k in node.keywords]
            module = func.value.id if func.value.id in KERAS_MODULES else "layers"
            return Call(module, func.attr, args, kwargs)
        raise Unsupported(_src(node))

    def named_product(self, node: ast.Call) -> list:
        """keras.src.testing.test_utils.named_product: the product of dict lists and keyword value lists."""
        axes = [[dict(d) for d in self(a)] for a in node.args]
        for k in node.keywords:
            axes.append([{"testcase_name": str(v), k.arg: v} for v in self(k.value)])
        out = []
        for combo in itertools.islice(itertools.product(*axes), MAX_PRODUCT):
            merged: Dict[str, Any] = {}
            names = []
            for part in combo:
                part = dict(part)
                names.append(str(part.pop("testcase_name", "")))
                merged.update(part)
            merged["testcase_name"] = "_".join(n for n in names if n)
            out.append(merged)
        return out

    def numpy(self, name: str, node: ast.Call) -> Arr:
        kw = {k.arg: k.value for k in node.keywords}
        dtype = _dtype_name(self(kw["dtype"])) if "dtype" in kw else None
        args = node.args
        base = name.rsplit(".", 1)[-1]
        if base in ("rand", "randn"):
            return Arr(tuple(self(a) for a in args), "float64")
        if base in NP_FLOAT:
            size = kw.get("size") or (args[0] if base in ("random", "random_sample") and args else
                                      args[2] if len(args) > 2 else None)
            if size is None:
                raise Unsupported(f"np.{name} without size")
            return Arr(_size(self(size)), dtype or "float64")
        if base == "randint":
            size = kw.get("size") or (args[2] if len(args) > 2 else None)
            if size is None:
                raise Unsupported("np.random.randint without size")
            return Arr(_size(self(size)), dtype or "int64")
        if base in ("ones", "zeros", "empty", "full"):
            shape = kw.get("shape") or args[0]
            fill = args[1] if base == "full" and len(args) > 1 else None
            if dtype is None and fill is not None:
                dtype = _nested_shape(self(fill))[1]
            return Arr(_size(self(shape)), dtype or "float64")
        if base in ("array", "asarray"):
            shape, inferred = _nested_shape(self(args[0]))
            return Arr(shape, dtype or inferred)
        if base == "arange" and 1 <= len(args) <= 3:
            bounds = [self(a) for a in args]
            n = len(range(*bounds)) if all(isinstance(b, int) for b in bounds) else None
            if n is None:
                raise Unsupported("np.arange of floats")
            return Arr((n,), dtype or "int64")
        if base == "reshape" and len(args) == 2:
            value, shape = self(args[0]), _size(self(args[1]))
            if isinstance(value, Arr) and -1 not in shape:
                return Arr(shape, value.dtype)
        if base in ("float32", "float64", "int32", "int64"):
            return base
        raise Unsupported(f"np.{name}")


# --------------------------------------------------------------------------- parameterized


def _bindings(func: ast.FunctionDef, env: Dict[str, Any]) -> List[Tuple[str, Dict[str, Any]]]:
    """(label, parameter values) of each parameterized case of a test method; [("", {})] if none."""
    names = [a.arg for a in func.args.args[1:]]
    defaults = dict(zip(names[len(names) - len(func.args.defaults):], func.args.defaults))
    ev = Evaluator(env)
    cases: List[Tuple[str, Dict[str, Any]]] = [("", {})]
    for deco in func.decorator_list:
        if not isinstance(deco, ast.Call):
            continue
        kind = _src(deco.func)
        if kind == "parameterized.named_product":  # testing.named_product too: the same expansion
            kind = "parameterized.product"
        if kind.endswith("named_product") and not deco.args and not deco.keywords:
            continue
        if kind not in ("parameterized.named_parameters", "parameterized.parameters", "parameterized.product"):
            continue
        produced: List[Tuple[str, Dict[str, Any]]] = []
        if kind == "parameterized.product":
            axes: List[List[Dict[str, Any]]] = []
            for arg in deco.args:
                axes.append([dict(v) for v in ev(arg)])
            for k in deco.keywords:
                axes.append([{k.arg: v} for v in ev(k.value)])
            for i, combo in enumerate(itertools.product(*axes)):
                if i >= MAX_PRODUCT:
                    break
                merged: Dict[str, Any] = {}
                for part in combo:
                    merged.update(part)
                produced.append((str(i), merged))
        else:
            items = [ev(a) for a in deco.args]
            if len(items) == 1 and isinstance(items[0], list):
                items = items[0]
            for i, item in enumerate(items):
                label = str(i)
                if isinstance(item, dict):
                    item = dict(item)
                    label = str(item.pop("testcase_name", i))
                    produced.append((label, item))
                    continue
                values = list(item) if isinstance(item, (tuple, list)) else [item]
                if kind == "parameterized.named_parameters":
                    label, values = str(values[0]), values[1:]
                produced.append((label, dict(zip(names, values))))
        cases = [(f"{a}{'-' if a and b else ''}{b}", {**x, **y}) for a, x in cases for b, y in produced]
    out = []
    for label, values in cases:
        full = dict(values)
        for name in names:
            if name not in full and name in defaults:
                try:
                    full[name] = ev(defaults[name])
                except Unsupported as exc:
                    full[name] = Unknown(str(exc))
        out.append((label, full))
    return out


# --------------------------------------------------------------------------- encoding


def encode(value: Any) -> Any:
    """A value as JSON that keeps tuples, dict keys and calls apart."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Unsupported("a non-finite float")
        return value
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, Call):
        if value.module != "layers":
            raise Unsupported(f"a `{value.module}.{value.name}(...)` object")
        return {"call": value.name, "args": [encode(a) for a in value.args],
                "kwargs": [[k, encode(v)] for k, v in value.kwargs]}
    if isinstance(value, Arr):
        raise Unsupported("a numpy array as an argument")
    if isinstance(value, ClassRef):
        raise Unsupported(f"`{value.module}.{value.name}` (a Python object)")
    raise Unsupported(type(value).__name__)


def _inputs(value: Any) -> Tuple[str, list]:
    """(call kind, [{"shape", "dtype", "name"?}]) of what a test feeds a layer."""
    def one(v, name=None):
        if isinstance(v, Arr):
            out = {"shape": list(v.shape), "dtype": v.dtype}
        elif isinstance(v, tuple) and all(isinstance(d, int) or d is None for d in v):
            out = {"shape": list(v), "dtype": None}
        else:
            raise Unsupported("input")
        if name is not None:
            out["name"] = name
        return out

    if isinstance(value, dict):
        return "dict", [one(v, k) for k, v in value.items()]
    if isinstance(value, list):
        return "list", [one(v) for v in value]
    if isinstance(value, tuple) and value and all(isinstance(v, (tuple, Arr)) for v in value):
        return "list", [one(v) for v in value]
    return "single", [one(value)]


# --------------------------------------------------------------------------- walking a test method


class MethodWalker:
    """Follows one test method's statements, collecting cases."""

    def __init__(self, file: str, cls: str, func: ast.FunctionDef, env: Dict[str, Any], label: str,
                 defaults: Dict[str, dict]):
        self.file, self.cls, self.func, self.label = file, cls, func, label
        self.env = dict(env)
        self.ev = Evaluator(self.env)
        self.cases: List[dict] = []
        self.defaults = defaults  # layer -> the input of its first run_layer_test case in the file

    def case_id(self, line: int) -> str:
        suffix = f"[{self.label}]" if self.label else ""
        return f"{self.file}::{self.cls}::{self.func.name}{suffix}@{line}"

    def walk(self, body: List[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.safe(stmt.value)
            for target in stmt.targets:
                self.assign(target, value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.safe(stmt.value))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            if _src(stmt.value.func) == "self.run_layer_test":
                self.run_layer_test(stmt.value)
        elif isinstance(stmt, ast.If):
            try:
                taken = bool(self.ev(stmt.test))
            except Unsupported:
                self.forget(stmt)
                return
            self.walk(stmt.body if taken else stmt.orelse)
        elif isinstance(stmt, ast.With):
            raising = [i for i in stmt.items if isinstance(i.context_expr, ast.Call)
                       and _src(i.context_expr.func) in ("self.assertRaises", "self.assertRaisesRegex",
                                                          "pytest.raises")]
            if raising:
                self.raises(stmt, raising[0].context_expr)
            else:
                self.walk(stmt.body)
        elif isinstance(stmt, (ast.For, ast.While, ast.Try)):
            self.forget(stmt)

    def safe(self, node: ast.AST) -> Any:
        try:
            return self.ev(node)
        except Unsupported as exc:
            return Unknown(str(exc))

    def assign(self, target: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for i, t in enumerate(target.elts):
                if isinstance(value, (tuple, list)) and len(value) == len(target.elts):
                    self.assign(t, value[i])
                else:
                    self.assign(t, Unknown("unpacked"))

    def forget(self, stmt: ast.stmt) -> None:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.env[node.id] = Unknown("assigned in a branch or loop")

    def add(self, line: int, source: str, layer: Optional[str], expect: dict, build) -> None:
        case = {"id": self.case_id(line), "source": source, "layer": layer, "expect": expect}
        try:
            case.update(build())
            case["inexpressible"] = None
        except Unsupported as exc:
            case["inexpressible"] = f"not a literal: {exc}"
        self.cases.append(case)

    def run_layer_test(self, call: ast.Call) -> None:
        params = ["layer_cls", "init_kwargs", "input_shape", "input_dtype"]
        kw = dict(zip(params, call.args))
        kw.update({k.arg: k.value for k in call.keywords if k.arg})
        layer = None
        cls_value = self.safe(kw["layer_cls"]) if "layer_cls" in kw else None
        if isinstance(cls_value, ClassRef) and cls_value.module == "layers":
            layer = cls_value.name
        expect: dict = {}
        for key, name in (("expected_output_shape", "shape"), ("expected_output_dtype", "dtype")):
            if key in kw:
                value = self.safe(kw[key])
                if not isinstance(value, Unknown):
                    try:
                        expect[name] = encode(value)
                    except Unsupported:
                        pass

        def build():
            if layer is None:
                raise Unsupported(f"layer class `{_src(kw.get('layer_cls', call))}` is not a `layers.X`")
            init = self.ev(kw["init_kwargs"]) if "init_kwargs" in kw else {}
            if not isinstance(init, dict):
                raise Unsupported("init_kwargs")
            out: dict = {"args": [], "kwargs": [[k, encode(v)] for k, v in init.items()]}
            if "input_shape" in kw and not (isinstance(kw["input_shape"], ast.Constant)
                                            and kw["input_shape"].value is None):
                call_kind, inputs = _inputs(self.ev(kw["input_shape"]))
                dtype = self.ev(kw["input_dtype"]) if "input_dtype" in kw else None
                for item in inputs:
                    item["dtype"] = _dtype_name(dtype) if dtype is not None else "float32"
            elif "input_data" in kw:
                call_kind, inputs = _inputs(self.ev(kw["input_data"]))
                if "input_dtype" in kw and self.ev(kw["input_dtype"]) is not None:
                    for item in inputs:
                        item["dtype"] = _dtype_name(self.ev(kw["input_dtype"]))
            else:
                raise Unsupported("no input")
            for flag in ("input_sparse", "input_ragged"):
                if flag in kw and self.ev(kw[flag]):
                    raise Unsupported(flag)
            if "call_kwargs" in kw and self.ev(kw["call_kwargs"]):
                out["call_kwargs"] = encode(self.ev(kw["call_kwargs"]))
            out.update(call=call_kind, inputs=inputs)
            self.defaults.setdefault(layer, {"call": call_kind, "inputs": inputs})
            return out

        self.add(call.lineno, "run_layer_test", layer, expect, build)

    def raises(self, stmt: ast.With, ctx: ast.Call) -> None:
        error = _src(ctx.args[0]) if ctx.args else "Exception"
        constructed = {}  # local name -> (Call) built inside the block
        for inner in stmt.body:
            for node in ast.walk(inner):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                # layers.X(...)(input) or layers.X(...)
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "layers" \
                        and func.attr != "Input":
                    parent_input = None
                    for outer in ast.walk(inner):
                        if isinstance(outer, ast.Call) and outer.func is node and outer.args:
                            parent_input = outer.args[0]
                    self.raise_case(node, parent_input, error, stmt)
                    if isinstance(inner, ast.Assign) and inner.value is node:
                        for t in inner.targets:
                            if isinstance(t, ast.Name):
                                constructed[t.id] = node
                    break
            else:
                # `layer(x)` on a layer constructed before the block
                if isinstance(inner, (ast.Expr, ast.Assign)) and isinstance(inner.value, ast.Call):
                    callee = inner.value.func
                    if isinstance(callee, ast.Name) and isinstance(self.env.get(callee.id), Call) \
                            and inner.value.args and callee.id not in constructed:
                        built = self.env[callee.id]
                        self.raise_case(None, inner.value.args[0], error, stmt, built=built)
            if isinstance(inner, ast.Assign):
                self.stmt(inner)

    def raise_case(self, node: Optional[ast.Call], input_node, error: str, stmt: ast.With,
                   built: Optional[Call] = None) -> None:
        layer = built.name if built is not None else node.func.attr

        def build():
            value = built if built is not None else self.ev(node)
            out: dict = {"args": [encode(a) for a in value.args],
                         "kwargs": [[k, encode(v)] for k, v in value.kwargs]}
            if input_node is not None:
                call_kind, inputs = _inputs(self.ev(input_node))
                for item in inputs:
                    item["dtype"] = item["dtype"] or "float32"
            elif layer in self.defaults:
                call_kind, inputs = self.defaults[layer]["call"], self.defaults[layer]["inputs"]
            else:  # the constructor raises: any valid input serves
                call_kind, inputs = "single", [dict(FALLBACK_INPUTS.get(layer, DEFAULT_INPUT))]
                out["fallback_input"] = True
            out.update(call=call_kind, inputs=inputs)
            return out

        self.add(stmt.lineno, "assertRaises", layer, {"error": error}, build)


def _module_env(tree: ast.Module) -> Dict[str, Any]:
    env: Dict[str, Any] = {"None": None, "True": True, "False": False, "list": list, "tuple": tuple}
    env["__layer_modules__"] = tuple(
        alias.asname or alias.name for stmt in tree.body if isinstance(stmt, ast.ImportFrom)
        and (stmt.module or "").startswith("keras.src.layers") for alias in stmt.names)
    ev = Evaluator(env)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            try:
                env[stmt.targets[0].id] = ev(stmt.value)
            except Unsupported:
                pass
    return env


def extract_file(path: Path, rel: str) -> List[dict]:
    """Every case of one Keras test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    env = _module_env(tree)
    cases: List[dict] = []
    defaults: Dict[str, dict] = {}
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    # Two passes: the first learns each layer's input from its run_layer_test cases, so that an
    # assertRaises block that only constructs the layer gets an input to check it on.
    for attempt in range(2):
        cases = []
        for cls in classes:
            for func in cls.body:
                if not isinstance(func, ast.FunctionDef) or not func.name.startswith("test"):
                    continue
                try:
                    bindings = _bindings(func, env)
                except (Unsupported, TypeError, ValueError) as exc:
                    cases.append({"id": f"{rel}::{cls.name}::{func.name}", "source": "parameterized",
                                  "layer": None, "expect": {}, "inexpressible": f"parameters not read: {exc}"})
                    continue
                for label, values in bindings:
                    walker = MethodWalker(rel, cls.name, func, {**env, **values}, label, defaults)
                    walker.walk(func.body)
                    cases.extend(walker.cases)
    return cases


def extract(src: Path) -> List[dict]:
    """Every case of every `*_test.py` below `src` (keras/src/layers)."""
    out: List[dict] = []
    for path in sorted(src.rglob("*_test.py")):
        out.extend(extract_file(path, path.relative_to(src).as_posix()))
    seen: Dict[str, int] = {}
    for case in out:  # ids unique even for two cases on one line
        n = seen.get(case["id"], 0)
        seen[case["id"]] = n + 1
        if n:
            case["id"] += f"#{n}"
    return out


def main(argv: Optional[list] = None) -> int:
    """Write the cases of the installed Keras's layer tests as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", help="keras/src/layers of the pinned Keras (default: the installed one)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    if args.src:
        src, version = Path(args.src), "unknown"
    else:
        import keras  # only to find its source and version; the tests are read, not run

        src, version = Path(keras.__file__).parent / "src" / "layers", keras.__version__
    cases = extract(src)
    document = {"keras_version": version, "cases": cases}
    sys.path.insert(0, str(ROOT))
    from graphspec.atomic import write_bytes

    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    write_bytes(Path(args.output), (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    expressible = sum(1 for c in cases if not c["inexpressible"])
    print(f"{len(cases)} cases ({expressible} with literal arguments) -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
