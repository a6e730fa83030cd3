"""Static shape and parameter rules of Keras layers, one module per family (no Keras import).

Each module defines `ENTRIES`, a list of `LayerEntry`; `graphspec.catalog.registry`
collects them. To add a layer, add one entry to the module of its family (and the
family module to `MODULES` if it is new).
"""

MODULES = (
    "core",
    "activations",
    "regularization",
    "reshaping",
    "conv",
    "pooling",
    "recurrent",
    "attention",
    "merge",
    "adaptive",
    "conv_recurrent",
    "misc",
    "preprocessing",
    "augmentation",
    "applications",
)
