"""Training on more than one device: a distribution strategy by name, for the backend in use.

`mirrored` is tf.distribute.MirroredStrategy (TensorFlow): the visible GPUs, or, on a machine
without any, the CPU split into `devices` logical devices. `data-parallel` is
keras.distribution.DataParallel (JAX): every device JAX sees (for CPUs, start with
XLA_FLAGS=--xla_force_host_platform_device_count=N). Models are built inside the scope.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Dict, Optional

import keras

__all__ = ["DistributeError", "STRATEGIES", "strategy_scope"]


class DistributeError(ValueError):
    """A strategy that cannot run here: the wrong backend, or too few devices."""


def _need_backend(name: str, backend: str) -> None:
    if keras.backend.backend() != backend:
        raise DistributeError(f"--distribute {name} runs on the {backend} backend; this is "
                              f"{keras.backend.backend()} (set KERAS_BACKEND={backend})")


@contextlib.contextmanager
def _mirrored(devices: int):
    _need_backend("mirrored", "tensorflow")
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:  # only possible before TensorFlow has initialised its devices
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
        except RuntimeError:
            pass
        names = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(names) < devices:
            raise DistributeError(f"--distribute mirrored: TensorFlow already runs on {len(names)} CPU device(s); "
                                  f"{devices} are asked for")
        strategy = tf.distribute.MirroredStrategy(names[:devices])
    else:
        strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        yield strategy


@contextlib.contextmanager
def _data_parallel(devices: int):
    _need_backend("data-parallel", "jax")
    found = keras.distribution.list_devices()
    if len(found) < devices:
        raise DistributeError(f"--distribute data-parallel: JAX sees {len(found)} device(s), {devices} are asked "
                              f"for (on CPUs set XLA_FLAGS=--xla_force_host_platform_device_count={devices})")
    distribution = keras.distribution.DataParallel(devices=found[:devices])
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    try:
        yield distribution
    finally:
        keras.distribution.set_distribution(previous)


@contextlib.contextmanager
def _single(devices: int):
    yield None


STRATEGIES: Dict[Optional[str], Callable] = {None: _single, "mirrored": _mirrored, "data-parallel": _data_parallel}


def strategy_scope(name: Optional[str], devices: int = 2):
    """The context to build and train in for strategy `name` (None: one device)."""
    if name not in STRATEGIES:
        raise DistributeError(f"unknown strategy {name!r}: choose one of "
                              f"{', '.join(k for k in STRATEGIES if k)}")
    return STRATEGIES[name](devices)
