"""SimpleDense: a minimal custom Keras layer, registered with graphspec.

Importing this module registers the layer, so that a spec can name it:

    import graphspec
    import simple_dense                      # registers SimpleDense
    spec = graphspec.load("specs/custom/simple_dense.gspec")
    model = spec.to_keras()

The weights are created in `build()`, once the size of the last input axis is
known, and the forward computation is in `call()`.
"""

from __future__ import annotations

import keras
from keras import ops

import graphspec


@keras.saving.register_keras_serializable(package="graphspec_examples")
class SimpleDense(keras.layers.Layer):
    """A fully connected layer: `activation(inputs @ kernel + bias)`."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer="random_normal",
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units,),
            initializer="zeros",
        )

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
            }
        )
        return config


graphspec.register_layer(SimpleDense)
