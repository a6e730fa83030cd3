"""Where a call written as a value belongs (layer, initializer, loss, ...): shared by the
Keras builder and the Python code generator, so both resolve `Identity()` or
`MeanSquaredError()` the same way. No Keras import."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

# kind -> (catalogue kind in graphspec.catalog.signatures, public Keras module)
MODULES: Dict[str, Tuple[str, str]] = {
    "layer": ("layers", "keras.layers"),
    "optimizer": ("optimizers", "keras.optimizers"),
    "schedule": ("learning_rate_schedules", "keras.optimizers.schedules"),
    "loss": ("losses", "keras.losses"),
    "metric": ("metrics", "keras.metrics"),
    "callback": ("callbacks", "keras.callbacks"),
    "initializer": ("initializers", "keras.initializers"),
    "regularizer": ("regularizers", "keras.regularizers"),
    "constraint": ("constraints", "keras.constraints"),
    "dtype_policy": ("dtype_policies", "keras.dtype_policies"),
}
# The kind only decides the search order: names present in several modules resolve to
# what the context expects; anything else falls back in this order.
FALLBACK = ("layer", "initializer", "regularizer", "constraint", "optimizer", "schedule",
            "loss", "metric", "callback", "dtype_policy")

# Layer arguments whose calls are of a known kind, by the argument name's suffix.
SUFFIX_KINDS = (("_initializer", "initializer"), ("_regularizer", "regularizer"),
                ("_constraint", "constraint"))

# Compile and fit keys whose values (or their per-output dicts/lists) are of a kind.
COMPILE_KINDS = {"optimizer": "optimizer", "loss": "loss", "metrics": "metric", "weighted_metrics": "metric"}
FIT_KINDS = {"callbacks": "callback"}


def order(kind: Optional[str]) -> Tuple[str, ...]:
    """The kinds to search, `kind` first."""
    if kind is None:
        return FALLBACK
    return (kind,) + tuple(k for k in FALLBACK if k != kind)


def param_kind(param: str, default: Optional[str]) -> Optional[str]:
    """The kind of a call passed as layer argument `param`."""
    for suffix, kind in SUFFIX_KINDS:
        if param.endswith(suffix):
            return kind
    return default


def complete_compile(settings: dict, output_names) -> dict:
    """Compile settings as Keras wants them: a per-output `loss` dict names every output
    (an output left out gets None: no loss, warned as W104) and `loss_weights` too (1.0)."""
    out = dict(settings)
    if isinstance(out.get("loss"), dict):
        out["loss"] = {n: out["loss"].get(n) for n in output_names}
    if isinstance(out.get("loss_weights"), dict):
        out["loss_weights"] = {n: out["loss_weights"].get(n, 1.0) for n in output_names}
    return out
