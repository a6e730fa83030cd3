"""A semantic diff of two specs: what changed in the graphs, for code review.

`diff_specs(old, new)` compares the two root models (or the model named with
`model=`) and the nested models they use, as the Keras graphs they describe,
not as text: a reformat, a comment, a renamed const that evaluates to the same
value change nothing. Matching is by Keras layer name (graphspec derives the
names deterministically from the spec, docs/language.md "Layer names in
Keras"); a layer left unmatched is paired with a layer of the other side that
has the same type and the same position among the layers of that type (in
topological order) when the two also agree in their arguments or in their
inputs: a renamed layer, not a removed one and an added one.

Reported per model: inputs added, removed, renamed, reordered, reshaped or
retyped; outputs added, removed, renamed, reordered and their shapes; layers
added, removed, renamed, retyped; argument changes (an argument written with
its default value is the same as not writing it); connectivity (the tensors a
layer is called on); and the consequences: each layer's output shape and
parameter count, the model's totals, and the `compile` / `fit` settings.

Keras-free, like the rest of the static front end. `render_text` writes the
compact report, `to_json` a JSON document; the `graphspec diff` command (plain
two-file form, git's external-diff form and a textconv form) is
graphspec/cli/gitdiff.py; docs/diff.md describes all three.

The package, one job per module: normalise (values in comparable form and their
spelling), match (pairing inputs and layers: the algorithm), compare (the changes),
render (text and JSON).
"""

from graphspec.backends.diff.compare import Change, ModelDiff, SpecDiff, diff_specs
from graphspec.backends.diff.normalise import fmt
from graphspec.backends.diff.render import (NO_CHANGES, _paint, change_text, render_listing, render_text, to_dict,
                                            to_json)

__all__ = ["Change", "ModelDiff", "SpecDiff", "diff_specs", "render_text", "render_listing", "to_json",
           "to_dict", "change_text", "fmt", "NO_CHANGES"]
