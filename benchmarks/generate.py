"""Generated specs of any size for the benchmarks, and the same models written with Keras.

`generate_spec(n)` writes a model of exactly `n` layers (input layer not counted)
as a user would write it by hand: residual units of four layers each,

    h = skip -> Dense(32, activation="relu") -> BatchNormalization() -> Dropout(0.1)
    skip = (h, skip) -> Add()

then a head. Every layer is spelled out (no `repeat`), so that parsing grows with
the model. `build_keras(n)` builds the same model with the Keras functional API,
written the way a user would write it by hand (a loop; only the output named),
as the baseline that graphspec's `to_keras()` is compared with.

    python benchmarks/generate.py 500 > /tmp/generated_500.gspec
"""

from __future__ import annotations

import sys

UNIT = 4  # layers per residual unit


def _shape(n_layers: int):
    if n_layers < 1:
        raise ValueError(f"a generated model has at least one layer; received {n_layers}")
    units, extra = divmod(n_layers - 1, UNIT)  # the last layer is the softmax head
    return units, extra


def generate_spec(n_layers: int, width: int = 32, classes: int = 10, name: str = "generated") -> str:
    """The text of a .gspec file whose one model has exactly `n_layers` layers."""
    units, extra = _shape(n_layers)
    lines = [
        f"# A generated residual MLP: {n_layers} layers "
        f"({units} residual units of {UNIT} layers, {extra} extra Dense, a softmax head).",
        f"const width = {width}",
        f"const classes = {classes}",
        "",
        f"model {name} {{",
        "    input x: (width,)",
        "    skip = x",
    ]
    for i in range(units):
        lines.append(f"    # unit {i + 1}")
        lines.append('    h = skip -> Dense(width, activation="relu") -> BatchNormalization() -> Dropout(0.1)')
        lines.append("    skip = (h, skip) -> Add()")
    head = "".join(' -> Dense(width, activation="relu")' for _ in range(extra))
    lines.append(f'    output y = skip{head} -> Dense(classes, activation="softmax")')
    lines.append("}")
    return "\n".join(lines) + "\n"


def build_keras(n_layers: int, width: int = 32, classes: int = 10, name: str = "generated"):
    """The model of `generate_spec(n_layers, ...)`, written directly with the Keras functional API."""
    import keras
    from keras import layers

    units, extra = _shape(n_layers)
    x = keras.Input(shape=(width,), name="x")
    skip = x
    for _ in range(units):
        h = layers.Dense(width, activation="relu")(skip)
        h = layers.BatchNormalization()(h)
        h = layers.Dropout(0.1)(h)
        skip = layers.Add()([h, skip])
    for _ in range(extra):
        skip = layers.Dense(width, activation="relu")(skip)
    y = layers.Dense(classes, activation="softmax", name="y")(skip)
    return keras.Model(inputs=[x], outputs=[y], name=name)


def param_count(n_layers: int, width: int = 32, classes: int = 10) -> int:
    """The parameter count of the generated model (trainable and not), computed by hand."""
    units, extra = _shape(n_layers)
    dense = width * width + width
    batch_norm = 4 * width
    return units * (dense + batch_norm) + extra * dense + (width * classes + classes)


if __name__ == "__main__":
    sys.stdout.write(generate_spec(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
