"""Keras layer names: unique per model, derived from the chain's target or given by `name=`,
and the renaming that makes each output's Keras name its `output` name."""

from __future__ import annotations

import functools
import re

from graphspec.diagnostics import codes
from graphspec.diagnostics.diagnostic import Label
from graphspec.passes import layers as L
from graphspec.passes.frame import Frame
from graphspec.source import Span

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict

__all__ = ["LayerNaming", "Names", "snake"]


@functools.lru_cache(maxsize=None)
def snake(name: str) -> str:
    """Keras's own snake_case of a class name: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class Names:
    """Unique Keras layer names: the first use of a name gets it, later ones `_2`, `_3`..."""

    def __init__(self, reserved=()):
        self.taken = set()
        self.reserved = set(reserved)
        self.counts: Dict[str, int] = {}

    def allocate(self, desired: str, claim_reserved: bool = False) -> str:
        name = desired
        n = self.counts.get(desired, 1)
        while name in self.taken or (name in self.reserved and not claim_reserved):
            n += 1
            name = f"{desired}_{n}"
            claim_reserved = False
        self.counts[desired] = n
        self.taken.add(name)
        return name

    def release(self, name: str) -> None:
        self.taken.discard(name)


class LayerNaming:
    """How a model's expansion names its layers (a ModelExpander part: it reads `names`,
    `graph`, `diags`, `mdef`, and adds layers with LayerApplication)."""

    def layer_name(self, spec: L.LayerSpec, default: str, span: Span) -> str:
        """The Keras name of a new layer: the user's `name=` if given, else a derived one."""
        given = spec.explicit.get("name")
        if not isinstance(given, str):
            return self.names.allocate(default)
        if given in self.names.taken:  # an output's name is free for the layer that makes it (name_output)
            self.diags.error(codes.E202, f"the layer name `{given}` is used twice in model `{self.mdef.name}`", span,
                             label="name taken", help="Keras layer names must be unique within a model: "
                                                      "choose another `name=`, or leave it out")
            return self.names.allocate(default)
        self.names.taken.add(given)
        return given

    def name_output(self, frame: Frame, name: str, tensor: int, span: Span) -> int:
        """Make `name` the Keras name of the layer producing an output (Keras names outputs so)."""
        t = self.graph.tensors[tensor]
        if t.producer is None and t.name == name and frame.is_model:
            return tensor  # `output x` of input `x`: Keras names it so already
        taken = None  # the layer already named so: rare (a `name=`), so found by a scan only when the name is taken
        if frame.prefix + name in self.names.taken:
            taken = next((lay for lay in self.graph.layers if lay.name == frame.prefix + name), None)
        if (taken is not None and t.producer is not None and self.graph.nodes[t.producer].layer == taken.id
                and not any(o[1] == tensor for o in frame.outputs)):
            self._output_named.add(taken.name)  # `output y = x -> Dense(1, name="y")`: named so already
            return tensor
        if taken is not None and "name" in taken.config:  # Keras names an output by its layer; another has it
            diag = self.diags.error(codes.E202, f"output `{name}` needs the layer name `{name}`, which `name=` gives to "
                                            f"another layer", taken.span, label="name taken",
                                    help=f"Keras names each output after the layer that makes it: choose another "
                                         f"`name=` for this layer, or give it to the last step of output `{name}`")
            diag.related.append(Label(span, f"output `{name}` is declared here"))
            return tensor
        if t.producer is not None:
            node = self.graph.nodes[t.producer]
            layer = self.graph.layers[node.layer]
            if (layer.kind not in ("model", "op") and not layer.shared and len(node.outputs) == 1 and "name" not in layer.config
                    and not any(o[1] == tensor for o in frame.outputs) and layer.name not in self._output_named):
                self.names.release(layer.name)
                layer.name = self.names.allocate(frame.prefix + name, claim_reserved=True)
                self._output_named.add(layer.name)
                return tensor
        # An input, a shared layer, a nested model or another output: an Identity layer carries the name.
        spec = L.LayerSpec("Identity", "layer", {}, {}, L.registry.get("Identity"))
        lid = self.add_layer(spec, self.names.allocate(frame.prefix + name, claim_reserved=True), span,
                             origin=name)
        self._output_named.add(self.graph.layers[lid].name)
        return self.apply(lid, [tensor], span)[0]
