"""Where a call written as a value belongs (layer, initializer, loss, ...): shared by the
Keras builder and the Python code generator, so both resolve `Identity()` or
`MeanSquaredError()` the same way. No Keras import."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

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
    """Compile settings in the containers Keras 3 demands (it checks them only when `fit` starts).

    - For several outputs, `loss` and `loss_weights` are written per output in the same container
      (Keras refuses a single loss beside per-output weights): a dict naming every output, or a
      list in output order when an output has no loss (left out of the dict, W104, or None) —
      with a dict holding None Keras raises a KeyError when `model.fit(x, {"logits": y})` leaves
      that output's targets out, with a list it trains the outputs that have a loss. A single
      loss without weights stays as it is. For one output, the value itself.
    - `loss_weights` are floats (1.0 for an output a dict leaves out): Keras refuses an int.
    - `metrics` and `weighted_metrics` are a list for one output (Keras refuses a lone `"mae"`);
      for several outputs a value that is not a dict applies to every output (docs/language.md),
      so it becomes a dict of one list per output; dict values become lists.
    """
    names = list(output_names)
    out = dict(settings)
    if len(names) == 1:
        for key in ("loss", "loss_weights"):
            if key in out:
                value = out[key]
                value = value.get(names[0]) if isinstance(value, dict) else value
                out[key] = value[0] if isinstance(value, list) and len(value) == 1 else value
        if _number(out.get("loss_weights")):
            out["loss_weights"] = float(out["loss_weights"])
    else:
        loss = _per_output(out.get("loss"), names, None)
        as_list = any(v is None for v in loss)
        if isinstance(out.get("loss"), dict) or ("loss_weights" in out and "loss" in out):
            out["loss"] = loss if as_list else dict(zip(names, loss))
        if "loss_weights" in out:
            weights = [float(w) for w in _per_output(out["loss_weights"], names, 1.0)]
            out["loss_weights"] = weights if as_list else dict(zip(names, weights))
    for key in ("metrics", "weighted_metrics"):
        if key in out and out[key] is not None:
            out[key] = _metrics(out[key], names)
    return out


def _per_output(value, names, missing) -> list:
    """One value per output, in output order: a dict gives `missing` to an output it leaves out;
    a list is one per output already (the checker counted them); a single value applies to all."""
    if isinstance(value, dict):
        return [value.get(n, missing) for n in names]
    if isinstance(value, list):
        return list(value)
    return [value] * len(names)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _metrics(value, names) -> object:
    """A metrics setting as Keras takes it for outputs `names` (see complete_compile)."""
    if isinstance(value, dict):
        return {n: _as_list(value[n]) for n in names if n in value}
    if len(names) == 1:
        return _as_list(value)
    return {n: _as_list(value) for n in names}


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def targets_needed(settings: Optional[dict], output_names) -> List[str]:
    """The outputs `fit` needs target arrays for: those with a loss or a metric. An output whose
    per-output loss is None (or left out) and that no metric reads is trained without a target."""
    names = list(output_names)
    if not settings:
        return names
    done = complete_compile(settings, names)
    loss = done.get("loss")
    need = {n for n, v in zip(names, loss) if v is not None} if isinstance(loss, list) else set(names)
    for key in ("metrics", "weighted_metrics"):
        metrics = done.get(key)
        if isinstance(metrics, dict):
            need |= {n for n, v in metrics.items() if v}
        elif metrics:
            need |= set(names)
    return [n for n in names if n in need]
