"""The catalogue of diagnostic codes, each with its explanation (`graphspec explain CODE`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict


@dataclass(frozen=True)
class Code:
    title: str
    what: str  # what happened
    example: str  # a spec that triggers it
    fix: str  # how to fix it


def _c(title: str, what: str, example: str, fix: str) -> Code:
    return Code(title, what.strip(), example.strip("\n"), fix.strip())


CODES: Dict[str, Code] = {
    # ------------------------------------------------------------ files and limits
    "E001": _c("cannot read file", """
The file named on the command line does not exist, is a directory, or cannot be read.""",
               "graphspec check missing.gspec", "Check the path; name a `.gspec` file."),
    "E002": _c("file is not UTF-8", """
Spec files are UTF-8 text. The byte shown cannot be decoded as UTF-8.""",
               "(a file saved as Latin-1 containing `é`)", "Save the file as UTF-8."),
    "E003": _c("file too large", """
A spec file may be at most 5 MiB. Larger inputs are refused before parsing so that a
pre-commit hook never hangs.""", "(a 10 MB file)", "Split the spec into several files joined with `import`."),
    "E004": _c("expansion too large", """
After expanding blocks and `repeat` loops, a spec may apply at most 200,000 layers, and a
single `repeat` count may be at most 100,000.""", """
model m {
    input x: (8,)
    repeat 1000000000 { x = x -> Dense(8) }
    output y = x
}""", "Lower the `repeat` counts, or split the model into nested models."),
    # ------------------------------------------------------------ syntax
    "E100": _c("syntax error", """
The parser met a token it did not expect. The message says what was found and what the
language allows at that point.""", """
model m {
    input x: (3,)
    output y = x -> Dense(64 activation="relu")
}""", "Fix the text at the caret; the `help:` line names the usual mistake (a missing `,`, `)` or `}`)."),
    "E101": _c("unexpected character", """
A character that is not part of the language, such as `.` (there is no attribute access),
`@`, `$` or a control character.""", """
model m {
    input x: (3,)
    output y = x -> keras.layers.Dense(3)
}""", "Remove the character. Layers are named alone: `Dense(3)`."),
    "E102": _c("unterminated string", """
A string opened with `\"` or `'` is not closed on the same line.""", """
model m {
    input x: (3,)
    output y = x -> Dense(3, activation="relu)
}""", "Close the string on the same line."),
    "E103": _c("nesting too deep", """
Brackets may be nested at most 64 deep.""", "x = ((((((((...))))))))", "Name parts of the value with `const`."),
    # ------------------------------------------------------------ names
    "E201": _c("unknown name", """
A tensor, layer, block, model or value name that is not defined where it is used. Names
of tensors are visible after the line that binds them; consts, blocks and models anywhere
in the file or its imports.""", """
model m {
    input image: (28, 28, 1)
    output label = imgae -> Flatten() -> Dense(10)
}""", "Fix the spelling (the `help:` line suggests the closest name), or define the name."),
    "E202": _c("defined twice", """
Two definitions share a name where names must be unique: consts, blocks and models across
all files of a program; inputs, layers and outputs within a model; keys in a dict or a
`compile` block.""", """
const width = 64
const width = 128""", "Rename or remove one of the definitions."),
    "E203": _c("import not found", """
An `import` names a file that does not exist, or a directory. Import paths are relative to
the importing file.""", 'import "common/blocks.gspec"', "Fix the path, relative to the importing file."),
    "E204": _c("import cycle", """
Files import each other in a cycle (or a file imports itself).""", 'import "a.gspec"   # inside a.gspec',
               "Move what both files need into a third file that both import."),
    "E205": _c("recursive block", """
A block uses itself, directly or through other blocks; its expansion would never end.""", """
block a() { input x  output y = x -> a }""", "Remove the recursive use."),
    "E206": _c("cyclic model", """
A model uses itself as a layer (directly or through other models), or extends itself.""", """
model a { input x: (3,)  output y = x -> b }
model b { input x: (3,)  output y = x -> a }""", "Break the cycle."),
    "E207": _c("no root model", """
The model to build could not be chosen: the file defines none, several models are used by
no other model, or `--model` names a model that does not exist.""", """
model a { input x: (3,)  output y = x -> Dense(1) }
model b { input x: (3,)  output y = x -> Dense(2) }""",
               "Pass `--model NAME` on the command line or `model=NAME` to `graphspec.load`."),
    "E208": _c("const depends on itself", """
A const's value refers back to itself, directly or through other consts.""", """
const a = b + 1
const b = a * 2""", "Give one of the consts a literal value."),
    "E209": _c("wrong kind of name", """
A name is used where a different kind of thing is expected: a tensor as a step, a layer
type without parentheses, a shared layer called with arguments, a `compile` block inside a
block, a shape on a block input.""", """
model m {
    input x: (3, 4)
    output y = x -> Flatten -> Dense(2)
}""", "Follow the `help:` line: e.g. write `Flatten()` to make a new layer."),
    "E210": _c("code is not allowed", """
A spec never runs code: there is no `Lambda` layer, no Python expression, no attribute
access and no import of Python modules.""", """
model m {
    input x: (3,)
    output y = x -> Lambda("x * 2")
}""", "Use a Keras layer that does the same, or register a custom layer from Python with "
      "`graphspec.register_layer` and use it by name."),
    "E211": _c("block call does not match the block", """
A block call passes the wrong number of tensors (they fill the block's `input` lines in
order), an argument the block does not declare, or misses an argument without default.""", """
block conv_bn(filters, kernel=3) { input x  output y = x -> Conv2D(filters, kernel) }
model m { input i: (32, 32, 3)  output o = i -> conv_bn(kernal=5) }""",
               "Match the block's `input` lines and parameters."),
    "E212": _c("tensor count mismatch", """
The number of names on the left of `=` differs from the number of tensors the chain gives,
or an output is given several tensors.""", """
model m {
    input a: (3,)
    input b: (3,)
    x = (a, b)
    output y = x -> Dense(1)
}""", "Bind one name per tensor, or merge tensors with a step such as `Concatenate()`."),
    "E213": _c("unknown const in --set", """
`--set NAME=VALUE` names a const the spec does not define.""", "graphspec compile f.gspec --set vocb=20000",
               "Use a const defined with `const NAME = ...` in the spec."),
    "E220": _c("unknown layer", """
A call names no Keras layer, no block of the spec and no custom layer registered from
Python.""", """
model m {
    input x: (28, 28, 1)
    output y = x -> Conv2d(32, 3)
}""", "Fix the spelling (`graphspec layers` lists the catalogue), or register your layer with "
      "`graphspec.register_layer`."),
    "E250": _c("invalid value", """
An argument value could not be computed: arithmetic on something other than numbers,
division by zero, a result beyond 2**53, or a `repeat` count that is not a whole number.""", """
const width = "64"
model m { input x: (3,)  output y = x -> Dense(width * 2) }""",
               "Use numbers (or consts and parameters holding numbers) in arithmetic."),
    "E251": _c("invalid input shape", """
A model input needs a shape: a tuple of positive integers or `None`, without the batch axis.""", """
model m {
    input x: 784
    output y = x -> Dense(10)
}""", "Write the shape as a tuple: `input x: (784,)`."),
    # ------------------------------------------------------------ layer arguments
    "E301": _c("unknown argument", """
A layer (or optimizer, loss, metric, callback) does not take an argument of this name in
the Keras version graphspec is pinned to.""", """
model m {
    input x: (3,)
    output y = x -> Dense(8, activaton="relu")
}""", "Fix the spelling; the `help:` line suggests the closest argument."),
    "E302": _c("wrong argument type", """
An argument has a type Keras does not accept there: e.g. a string for `units`, a float for
`filters`, a number for `activation`.""", """
model m {
    input x: (3,)
    output y = x -> Dense("64")
}""", "Pass a value of the type shown in the message."),
    "E303": _c("missing argument", """
A required argument of a layer or object is not given.""", """
model m {
    input x: (3,)
    output y = x -> Dense()
}""", "Pass the argument, positionally or by name."),
    "E304": _c("too many arguments", """
More positional arguments than the constructor takes, or one argument given twice.""", """
model m {
    input x: (3,)
    output y = x -> Dropout(0.5, 0.2, 0.1, 7)
}""", "Remove the extra arguments, or pass them by name."),
    "E305": _c("argument out of range", """
An argument's value is outside what Keras accepts: a `Dropout` rate outside [0, 1), zero or
negative `units`/`filters`, an unknown activation, padding or initializer name.""", """
model m {
    input x: (3,)
    output y = x -> Dropout(1.5)
}""", "Pass a value in the range shown; for names the `help:` line suggests the closest."),
    # ------------------------------------------------------------ shapes
    "E401": _c("incompatible shapes", """
A layer cannot be applied to the shapes it receives; Keras would raise when building the
model. The message shows the shapes received, as tuples, batch axis first.""", """
model m {
    input x: (32, 32, 64)
    y = x -> Conv2D(128, 3, strides=2, padding="same")
    output z = (x, y) -> Add()
}""", "Follow the `help:` line: e.g. project a residual shortcut with a 1x1 `Conv2D`, or insert "
      "`Flatten()` before a layer that needs a defined last axis."),
    "E402": _c("wrong number of tensors", """
A step receives more or fewer tensors than its layer takes: a merge layer needs at least
two, `Dense` takes one, attention layers take (query, value[, key]).""", """
model m {
    input a: (3,)
    input b: (3,)
    output y = (a, b) -> Dense(1)
}""", "Merge the tensors first, or pass a tuple to a layer that takes several."),
    "E499": _c("shape rule failed", """
graphspec's own shape rule for a layer failed unexpectedly. This is a bug in graphspec.""",
               "(none known)", "Report it with the spec that triggers it."),
    # ------------------------------------------------------------ compile and fit
    "E501": _c("unknown setting", """
A key in a `compile` or `fit` block is not an argument of `keras.Model.compile` or a
data-free argument of `keras.Model.fit`.""", """
compile { optimiser = "adam" }""", "Fix the spelling; the `help:` line suggests the closest key."),
    "E502": _c("not an output", """
A dict in `compile` (loss, loss_weights, metrics) has a key that is not an output of the
model.""", """
compile { loss = {prority: "mse"} }""", "Use the names of the model's `output` lines."),
    "E503": _c("unknown optimizer, loss, metric or callback", """
The name does not resolve in Keras's own catalogue.""", """
compile { optimizer = "adamm" }""", "Fix the spelling; the `help:` line suggests the closest name."),
    "E504": _c("invalid setting value", """
A `compile` or `fit` setting has a value of the wrong kind: e.g. `epochs = 0`,
`validation_split = 1.5`, callbacks not in a list.""", """
fit { epochs = 0 }""", "Pass a value of the kind shown in the message."),
    "E505": _c("missing inputs or outputs", """
A model needs at least one input and one output; a block needs at least one output.""", """
model m { input x: (3,) }""", "Declare them with `input NAME: (SHAPE)` and `output NAME = ...`."),
    # ------------------------------------------------------------ warnings
    "W101": _c("unused input", """
No output of the model depends on this input. Keras builds such a model, but the input is
dead weight for every caller.""", """
model m {
    input a: (3,)
    input b: (3,)
    output y = a -> Dense(1)
}""", "Remove the input, or connect it to an output."),
    "W102": _c("unused layer", """
A `layer` declaration is never applied.""", """
model m {
    input x: (3,)
    layer shared = Dense(4)
    output y = x -> Dense(1)
}""", "Remove it, or apply it in a chain."),
    "W103": _c("unused binding", """
A tensor is bound to a name that is never read before it is bound again or the model ends.""", """
model m {
    input x: (3,)
    h = x -> Dense(4)
    output y = x -> Dense(1)
}""", "Remove the binding, or use the name."),
    "W104": _c("output without a loss", """
`loss` is a dict keyed by output name and leaves an output out. Keras trains that output
with no loss at all (graphspec passes `None` for it), which is rarely intended.""", """
model m {
    input x: (3,)
    output a = x -> Dense(1)
    output b = x -> Dense(1)
    compile { optimizer = "adam"  loss = {a: "mse"} }
}""", "Add the missing outputs to the `loss` dict (or give one loss for all outputs)."),
}


def explain(code: str) -> str:
    """The explanation of `code`, in the style of `ruff rule`."""
    c = CODES[code]
    kind = "warning" if code.startswith("W") else "error"
    return (f"{code}: {c.title} ({kind})\n\n"
            f"What it means\n  " + c.what.replace("\n", "\n  ") + "\n\n"
            f"Example\n  " + c.example.replace("\n", "\n  ") + "\n\n"
            f"How to fix it\n  " + c.fix.replace("\n", "\n  ") + "\n")
