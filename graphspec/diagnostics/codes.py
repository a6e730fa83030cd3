"""The catalogue of diagnostic codes, each with its severity and explanation (`graphspec explain CODE`).

Each code is defined once below as a `Code` object (`codes.E302`), and a pass, the catalogue or a
shape rule reports with that object, never with a bare "E302" string (a test reads the package for
such strings). Each entry's example really triggers the code: a test runs it (`example_kind` says
how) and docs/errors.md is generated from this table (`python scripts/build_error_docs.py`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Optional, Union

# How an example is written, and so how the example test runs it.
SPEC = "spec"  # a complete .gspec file, run with `command`
CLI = "cli"  # a command line, run as it is in an empty directory
FRAGMENT = "fragment"  # part of a file (too long to show whole); not run
DESCRIPTION = "description"  # words only: the input cannot be written as text; not run

DEFAULT_COMMAND = "graphspec check example.gspec"

ERROR = "error"
WARNING = "warning"


class Code:
    """A diagnostic code: its id (what is printed and serialised, `E302`), severity and explanation.

    A Code equals its id string and hashes like it, so a diagnostic's `code` (the id) compares
    with `codes.E302` directly, and a table keyed by Codes is looked up by id. Immutable. (A plain
    class: a dataclass, with the inspect module it imports, costs every `graphspec check` several
    milliseconds of start-up.)"""

    __slots__ = ("id", "title", "what", "example", "fix", "example_kind", "command")

    id: str
    title: str
    what: str  # what happened
    example: str  # a spec that triggers it (see example_kind)
    fix: str  # how to fix it
    example_kind: str
    command: str  # for SPEC examples: how the file is run

    def __init__(self, id: str, title: str, what: str, example: str, fix: str, example_kind: str = SPEC,
                 command: str = DEFAULT_COMMAND):
        set_ = object.__setattr__  # past __setattr__'s refusal
        set_(self, "id", id)
        set_(self, "title", title)
        set_(self, "what", what)
        set_(self, "example", example)
        set_(self, "fix", fix)
        set_(self, "example_kind", example_kind)
        set_(self, "command", command)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field `{name}` of a Code")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field `{name}` of a Code")

    def __reduce__(self):
        # pickle and copy: through __init__, since the default restores slots by setattr
        return Code, (self.id, self.title, self.what, self.example, self.fix, self.example_kind, self.command)

    @property
    def severity(self) -> str:
        """`error` or `warning` (see severity)."""
        return severity(self.id)

    @property
    def runnable(self) -> bool:
        """True when the example can be run to show the code (a spec or a command line)."""
        return self.example_kind in (SPEC, CLI)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Code):
            return self.id == other.id
        if isinstance(other, str):
            return self.id == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"codes.{self.id}"


def code_id(code: Union[Code, str]) -> str:
    """The id of `code` (a Code, or an id string while call sites move to Codes)."""
    return code.id if isinstance(code, Code) else code


def severity(code: Union[Code, str]) -> str:
    """`warning` for W codes, `error` for E codes: the one place a diagnostic's severity is decided."""
    return WARNING if code_id(code).startswith("W") else ERROR


CODES: Dict[str, Code] = {}  # id -> Code, in catalogue order (`explain --list`, docs/errors.md)


def _c(id: str, title: str, what: str, example: str, fix: str, kind: str = SPEC,
       command: Optional[str] = None) -> Code:
    """Define the code `id` and add it to CODES."""
    if id in CODES:
        raise ValueError(f"code {id} is defined twice")
    code = CODES[id] = Code(id, title, what.strip(), example.strip("\n"), fix.strip(), kind,
                            command or DEFAULT_COMMAND)
    return code


# ------------------------------------------------------------ files and limits
E001 = _c("E001", "cannot read file", """
A file named on the command line does not exist, is a directory, or cannot be read
(permissions). Relative paths start from the current directory. `graphspec check`
exits with status 2 for this error, as for any other usage error, so that a CI job
tells a wrong path apart from a spec with errors (status 1). A missing *import* is
E203.""", "graphspec check missing.gspec", """
Check the path and the current directory; name a `.gspec` file, not a directory.""", kind=CLI)
E002 = _c("E002", "file is not UTF-8", """
Spec files are UTF-8 text. The byte shown cannot be decoded as UTF-8: the file was
most often saved in a legacy encoding such as Latin-1 or Windows-1252 (a comment
with `é`, a name pasted from a word processor). The line is shown with the
undecodable byte replaced by `�`, and a note says what the byte would be in Latin-1.""",
           "(a file saved as Latin-1: the `è` of `# Modèle` is the single byte 0xe8)", """
Save the file as UTF-8 (editors offer the encoding in their Save As dialog), or
convert it: `iconv -f latin1 -t utf-8 old.gspec > new.gspec`.""", kind=DESCRIPTION)
E003 = _c("E003", "file too large", """
A spec file may be at most 5 MiB. Larger inputs are refused before they are parsed,
so that a pre-commit hook or an editor integration never hangs on a generated or
binary file given by mistake.""", "(a 10 MB file)", """
Split the spec into several files joined with `import`; generate repeated structure
with `repeat` and blocks rather than writing it out.""", kind=DESCRIPTION)
E004 = _c("E004", "expansion too large", """
After expanding blocks and `repeat` loops, a spec may apply at most 200,000 layers,
and a single `repeat` count may be at most 100,000. The limits keep a typo (a count
with three zeros too many) from making the checker run for hours.""", """
model m {
    input x: (8,)
    repeat 1000000000 { x = x -> Dense(8) }
    output y = x
}""", "Lower the `repeat` counts, or split the model into nested models.")
E005 = _c("E005", "too many parameters", """
The model's weights would exceed the parameter limit (1,000,000,000 by default: 4 GB
of float32 weights), counted statically from the layers' arguments and shapes. The
error is at the layer whose weights cross the limit, alone or added to the layers
before it. A size typed with extra digits (`Dense(2147483648)`) is caught here
instead of by an out-of-memory failure when the model is built; the Keras builder
refuses such an IR too.""", """
model m {
    input x: (8,)
    output y = x -> Dense(2147483648)
}""", """
Fix the size. If the model really is this large, raise the limit: `--max-params N`
on the command line, `max-params = N` in `[tool.graphspec]`, or `max_params=N` in
Python.""")
# ------------------------------------------------------------ syntax
E100 = _c("E100", "syntax error", """
The parser met a token it did not expect. The message says what was found and what
the language allows at that point; the `help:` line names the usual mistake: a
missing `,` between arguments, an unclosed `(` (with the place it was opened), a
stray `)`, a `->` with no step after it, an unknown dtype after an input's shape.
After a syntax error the parser skips to the next `model`, `block`, `const` or
`import`, so one run reports a syntax error in each top-level item.""", """
model m {
    input x: (3,)
    output y = x -> Dense(64 activation="relu")
}""", "Fix the text at the caret as the `help:` line says.")
E101 = _c("E101", "unexpected character", """
A character that is not part of the language, such as `.` (a spec has no attribute
access, so `keras.layers.Dense` cannot be written), `@`, `$`, `;` or a control
character.""", """
model m {
    input x: (3,)
    output y = x -> keras.layers.Dense(3)
}""", "Remove the character. Layers are named alone: `Dense(3)`.")
E102 = _c("E102", "unterminated string", """
A string opened with `"` or `'` is not closed on the same line. Strings cannot span
lines.""", """
model m {
    input x: (3,)
    output y = x -> Dense(3, activation="relu)
}""", "Close the string with the same quote on the same line.")
E103 = _c("E103", "nesting too deep", """
Brackets may be nested at most 64 deep. Deeper nesting only comes from generated
text, and is refused before parsing so that it cannot exhaust the parser.""",
           "const scale = ((((((((((( ... 65 levels ... 2 )))))))))))", """
Name parts of the value with `const` and combine the names.""", kind=FRAGMENT)
# ------------------------------------------------------------ names
E201 = _c("E201", "unknown name", """
A tensor, layer, block, model or value name that is not defined where it is used.
Names of tensors are visible after the line that binds them; consts, blocks and
models anywhere in the file or its imports. The `help:` line suggests the closest
name in scope.""", """
model m {
    input image: (28, 28, 1)
    output label = imgae -> Flatten() -> Dense(10)
}""", "Fix the spelling, or define the name (`input`, a binding, `const`, `block`, `model`).")
E202 = _c("E202", "defined twice", """
Two definitions share a name where names must be unique: consts, blocks and models
across all files of a program; inputs, layers and outputs within a model; keys in a
dict or a `compile`/`fit` block. A note shows where the first definition is.""", """
const width = 64
const width = 128""", "Rename or remove one of the definitions.")
E203 = _c("E203", "import not found", """
An `import` names a file that does not exist, or a directory. Import paths are
relative to the importing file, not to the current directory; the `help:` line shows
the path that was looked for.""", 'import "common/blocks.gspec"', """
Fix the path, relative to the importing file.""")
E204 = _c("E204", "import cycle", """
Files import each other in a cycle, or a file imports itself. The message shows the
whole cycle; the caret is on the import that closes it. (Imports nested more than
64 files deep are reported with this code too.)""", """
# a.gspec: a file that imports itself
import "a.gspec"
const width = 64""", """
Move what both files need into a third file that both import; a file never needs to
import itself.""", command="graphspec check a.gspec")
E205 = _c("E205", "recursive block", """
A block uses itself, directly or through other blocks; its expansion would never
end. (Blocks nested more than 64 deep are reported with this code too.)""", """
block down(filters) {
    input x
    output y = x -> Conv2D(filters, 3, strides=2, padding="same") -> down(filters * 2)
}
model encoder {
    input image: (64, 64, 3)
    output code = image -> down(16)
}""", """
Remove the recursive use. To stack a block several times, repeat it from the model:
`repeat 3 { h = h -> down(16) }`.""")
E206 = _c("E206", "cyclic model", """
A model uses itself as a layer, directly or through other models (or extends
itself). A nested model is one shared layer, so it cannot contain itself.""", """
model a { input x: (3,)  output y = x -> b }
model b { input x: (3,)  output y = x -> a }""", """
Break the cycle; to reuse structure without sharing weights, write it as a block.""")
E207 = _c("E207", "no root model", """
The model to build could not be chosen: several models of the file are used by no
other model (commands that build one model, such as `summary`, `ir` and `compile`,
need one root), the file defines no model, or `--model` names a model that does
not exist. `graphspec check` checks every model and needs no root, unless
`--model` is given.""", """
model a { input x: (3,)  output y = x -> Dense(1) }
model b { input x: (3,)  output y = x -> Dense(2) }""", """
Pass `--model NAME` on the command line, or `model=NAME` to `graphspec.load`.""",
           command="graphspec summary example.gspec")
E208 = _c("E208", "const depends on itself", """
A const's value refers back to itself, directly or through other consts; the
message shows the chain.""", """
const a = b + 1
const b = a * 2""", "Give one of the consts a literal value.")
E209 = _c("E209", "wrong kind of name", """
A name is used where a different kind of thing is expected: a layer type without
parentheses (`-> Flatten`), a tensor as a step, a layer or block as the start of a
chain, a shared `layer` or a model called with arguments, a `compile` block inside a
block, a shape on a block input.""", """
model m {
    input x: (3, 4)
    output y = x -> Flatten -> Dense(2)
}""", "Follow the `help:` line: e.g. write `Flatten()` to make a new layer.")
E210 = _c("E210", "code is not allowed", """
A spec never runs code: there is no `Lambda` layer, no Python expression, no
attribute access and no import of Python modules, so a spec from an untrusted
source is safe to check and build.""", """
model m {
    input x: (3,)
    output y = x -> Lambda("x * 2")
}""", """
Use a Keras layer that does the same (`Rescaling(2.0)` here), or register a custom
layer from Python with `graphspec.register_layer` and use it by name.""")
E211 = _c("E211", "block call does not match the block", """
A block call passes the wrong number of tensors (the tensors before `->` fill the
block's `input` lines in order), more arguments than the block has parameters, an
argument the block does not declare, or misses a parameter without a default.""", """
block conv_bn(filters, kernel=3) { input x  output y = x -> Conv2D(filters, kernel) }
model m { input i: (32, 32, 3)  output o = i -> conv_bn(kernal=5) }""", """
Match the block's `input` lines and parameters; the `help:` line suggests the
closest parameter name.""")
E212 = _c("E212", "tensor count mismatch", """
The number of names on the left of `=` differs from the number of tensors the chain
gives, or an `output` is given several tensors. A tuple `(a, b)` is two tensors; a
block with several outputs gives one tensor per output.""", """
model m {
    input a: (3,)
    input b: (3,)
    x = (a, b)
    output y = x -> Dense(1)
}""", "Merge tensors with a step such as `-> Concatenate()`, or bind one name per tensor: `p, q = ...`.")
E213 = _c("E213", "unknown const in --set", """
`--set NAME=VALUE` names a const the spec (with its imports) does not define. The
error has no place in the file: it is in the command line.""", """
const vocab = 10000
model m {
    input ids: (None,) int32
    output y = ids -> Embedding(vocab, 16) -> GlobalAveragePooling1D() -> Dense(1)
}""", "Use a const defined with `const NAME = ...` in the spec; the `help:` line suggests the closest.",
           command="graphspec check example.gspec --set vocb=20000")
E214 = _c("E214", "model used both frozen and trainable", """
One model uses another several times, some uses with `trainable=False` (or inside a
block use with `trainable=False`) and some without. Every use calls the same Keras
object, and a Keras object has one `trainable` flag: it cannot be frozen at one use
and trained at another.""", """
model encoder { input x: (4,)  output y = x -> Dense(2) }
model pair {
    input a: (4,)
    input b: (4,)
    output both = (a -> encoder(trainable=False), b -> encoder) -> Concatenate()
}""", """
Give every use the same flag, or freeze a separate model with its own weights:
`model frozen_encoder extends encoder {}` and use `frozen_encoder(trainable=False)`.""")
E220 = _c("E220", "unknown layer", """
A call names no Keras layer, no block of the spec and no custom layer registered
from Python. Layer names are case-sensitive Keras class names (`Conv2D`, not
`Conv2d`); Keras's aliases such as `MaxPool2D` are accepted.""", """
model m {
    input x: (28, 28, 1)
    output y = x -> Conv2d(32, 3)
}""", """
Fix the spelling (`graphspec layers` lists the catalogue), or register your layer
with `graphspec.register_layer`.""")
E250 = _c("E250", "invalid value", """
A value could not be computed: arithmetic on something other than numbers (often a
number written in quotes), division by zero, a result beyond 2**53, a number
literal that is not finite, or a `repeat` count that is not a whole number >= 0.""", """
const width = "64"
model m { input x: (3,)  output y = x -> Dense(width * 2) }""", """
Use numbers (or consts and parameters holding numbers) in arithmetic; write numbers
without quotes.""")
E251 = _c("E251", "invalid input shape", """
A model input needs a shape: a tuple of positive integers or `None`, without the
batch axis. A single number is not a shape: a vector of 784 values is `(784,)`.""", """
model m {
    input x: 784
    output y = x -> Dense(10)
}""", "Write the shape as a tuple: `input x: (784,)`.")
E252 = _c("E252", "condition not known when checking", """
The condition of an `if` decides which layers the model has, so it must be a value
known when the spec is checked: consts (and their `--set` overrides), block
parameters, `repeat` indices and `shape(x)`. A tensor's contents are known only when
data flows through the model.""", """
model m {
    input x: (3,)
    if x {
        output y = x -> Dense(1)
    }
}""", """
Test a const instead (`const use_head = True` ... `if use_head { ... }`), set from
outside with `--set use_head=False`; a choice that depends on the data is a layer's job.""")
# ------------------------------------------------------------ layer arguments
E301 = _c("E301", "unknown argument", """
A layer (or optimizer, loss, metric, callback, initializer, regularizer) does not
take a keyword argument of this name in the Keras version graphspec is pinned to,
or takes it only positionally.""", """
model m {
    input x: (3,)
    output y = x -> Dense(8, activaton="relu")
}""", "Fix the spelling; the `help:` line suggests the closest argument.")
E302 = _c("E302", "wrong argument type", """
An argument has a type Keras does not accept there: a string for `units`, a float
for `filters` (often from `/`, which always gives a float: use `//`), a number for
`activation`, a string `"True"` for a flag.""", """
model m {
    input x: (3,)
    output y = x -> Dense("64")
}""", "Pass a value of the type shown in the message; the `help:` line shows it written out.")
E303 = _c("E303", "missing argument", """
A required argument of a layer or object is not given, e.g. `units` of `Dense` or
`filters` of `Conv2D`.""", """
model m {
    input x: (3,)
    output y = x -> Dense()
}""", "Pass the argument, positionally or by name.")
E304 = _c("E304", "too many arguments", """
More positional arguments than the constructor takes, or one argument given twice
(positionally and by keyword, or by keyword twice).""", """
model m {
    input x: (3,)
    output y = x -> Activation("leaky_relu", 0.1)
}""", "Remove the extra arguments, or pass them by name.")
E305 = _c("E305", "argument out of range", """
An argument's value is outside what Keras accepts: a `Dropout` rate outside [0, 1),
zero or negative `units`/`filters`, a kernel size with the wrong number of axes, an
unknown activation, padding, initializer or dtype name.""", """
model m {
    input x: (3,)
    output y = x -> Dropout(1.5)
}""", "Pass a value in the range shown; for names the `help:` line suggests the closest.")
# ------------------------------------------------------------ shapes
E401 = _c("E401", "incompatible shapes", """
A layer cannot be applied to the shapes it receives; Keras would raise when building
the model. The message shows the shapes received, as tuples, batch axis first, and
the `help:` line the usual fix: a residual shortcut projected with a 1x1 `Conv2D`,
`Reshape` before a convolution, `return_sequences=True` on a recurrent layer that
feeds another, a smaller pool or kernel, a nested model given the wrong input.""", """
model m {
    input x: (32, 32, 64)
    y = x -> Conv2D(128, 3, strides=2, padding="same")
    output z = (x, y) -> Add()
}""", """
Follow the `help:` line. Here the shortcut `x` must be projected to the branch's
shape before the `Add`: `shortcut = x -> Conv2D(128, 1, strides=2, padding="same")`,
then `(shortcut, y) -> Add()`.""")
E402 = _c("E402", "wrong number of tensors", """
A step receives more or fewer tensors than its layer takes: a merge layer (`Add`,
`Concatenate`, ...) needs at least two, `Dense` takes one, attention layers take
(query, value[, key]), a nested model one per input.""", """
model m {
    input a: (3,)
    input b: (3,)
    output y = (a, b) -> Dense(1)
}""", "Merge the tensors first, or pass a tuple to a layer that takes several.")
E403 = _c("E403", "input dtype the layer cannot take", """
A layer receives a tensor of a dtype it cannot compute with once data flows: a
string input into `Dense` or an RNN, integer ids into `Conv2D` or a pooling layer,
numbers into `StringLookup`. Keras builds such a model symbolically and fails only
at `fit` or `predict`; graphspec refuses it when the spec is checked.""", """
model m {
    input words: (10,) string
    output y = words -> Embedding(100, 8)
}""", """
Convert the tensor first, as the `help:` line says: map strings to integer ids with
`StringLookup(vocabulary=[...])` (or `TextVectorization`) before `Embedding`, give a
numeric input a float dtype, or declare the input with the dtype the layer takes.""")
E404 = _c("E404", "layer applied to constants", """
A layer (or nested model) receives only tensors that depend on no model input, such
as `ops.arange(12)`. Keras would run it once while building the model and keep its
output as a constant: its weights would not be part of the model, not trained and not
saved, although the spec counts them.""", """
model m {
    input tokens: (12,) int32
    positions = ops.arange(12) -> Embedding(12, 16)
    output y = (tokens -> Embedding(100, 16)) + positions
}""", """
Derive the tensor from an input first, so that it has the batch axis:
`positions = (tokens -> ops.zeros_like()) + ops.arange(12)`, then
`positions -> Embedding(12, 16)`.""")
E499 = _c("E499", "shape rule failed", """
A shape rule raised an unexpected exception. For a custom layer registered with a
`shape=` function, the function is at fault: the message shows its exception. For
a Keras layer it is a bug in graphspec's own rule.""",
           "(a custom layer whose `shape=` function raises, e.g. unpacks a rank-2 shape into three names)", """
Fix the `shape=` function given to `graphspec.register_layer` (or leave it out to
let Keras compute the shape); for a Keras layer, report the bug with the spec that
triggers it.""", kind=DESCRIPTION)
# ------------------------------------------------------------ compile and fit
E501 = _c("E501", "unknown setting", """
A key in a `compile` block is not an argument of `keras.Model.compile`, or a key in a
`fit` block is not a data-free argument of `keras.Model.fit` (`epochs`,
`batch_size`, `validation_split`, `callbacks`, ...).""", """
model m {
    input x: (3,)
    output y = x -> Dense(1)
    compile { optimiser = "adam"  loss = "mse" }
}""", "Fix the spelling; the `help:` line suggests the closest key.")
E502 = _c("E502", "not an output", """
A dict in `compile` (`loss`, `loss_weights`, `metrics`, `weighted_metrics`) has a
key that is not an `output` of the model.""", """
model m {
    input x: (3,)
    output priority = x -> Dense(1)
    compile { optimizer = "adam"  loss = {prority: "mse"} }
}""", "Use the names of the model's `output` lines.")
E503 = _c("E503", "unknown optimizer, loss, metric or callback", """
The name does not resolve in Keras's own catalogue of optimizers, losses, metrics or
callbacks (strings such as `"adam"`, or classes such as `Adam(...)`).""", """
model m {
    input x: (3,)
    output y = x -> Dense(1)
    compile { optimizer = "adamm"  loss = "mse" }
}""", "Fix the spelling; the `help:` line suggests the closest name.")
E504 = _c("E504", "invalid setting value", """
A `compile` or `fit` setting has a value of the wrong kind: `epochs = 0`,
`validation_split = 1.5`, `callbacks` not in a list, one `loss_weights` value per
output not matching the outputs.""", """
model m {
    input x: (3,)
    output y = x -> Dense(1)
    fit { epochs = 0 }
}""", "Pass a value of the kind shown in the message; the `help:` line shows a typical one.")
E505 = _c("E505", "missing inputs or outputs", """
A model needs at least one input and one output; a block needs at least one output.
Often the last line was written as a binding (`y = ...`) instead of an
`output y = ...` line.""", """
model m { input x: (3,) }""", "Declare them with `input NAME: SHAPE` and `output NAME = ...`.")
# ------------------------------------------------------------ warnings
W101 = _c("W101", "unused input", """
No output of the model depends on this input. Keras builds such a model, but every
caller must feed the input for nothing.""", """
model m {
    input a: (3,)
    input b: (3,)
    output y = a -> Dense(1)
}""", "Remove the input, or connect it to an output.")
W102 = _c("W102", "unused layer", """
A `layer` declaration is never applied, so its weights would never exist.""", """
model m {
    input x: (3,)
    layer shared = Dense(4)
    output y = x -> Dense(1)
}""", "Remove it, or apply it in a chain: `x -> shared`.")
W103 = _c("W103", "unused binding", """
A tensor is bound to a name that is never read before it is bound again or the model
ends: the layers computing it are dead code.""", """
model m {
    input x: (3,)
    h = x -> Dense(4)
    output y = x -> Dense(1)
}""", "Remove the binding, or use the name.")
W104 = _c("W104", "output without a loss", """
`loss` is a dict keyed by output name and leaves an output out. Keras trains that
output with no loss at all (graphspec passes `None` for it), which is rarely
intended. An output meant to go untrained (a feature extractor's stage) says so with
`name: None`, which is not reported; `fit` then needs no targets for it.""", """
model m {
    input x: (3,)
    output a = x -> Dense(1)
    output b = x -> Dense(1)
    compile { optimizer = "adam"  loss = {a: "mse"} }
}""", """
Add the missing outputs to the `loss` dict (or give one loss for all outputs); write
`b: None` for an output that is not to be trained.""")
W301 = _c("W301", "loss does not fit its output", """
A crossentropy loss is given an output it cannot score, which Keras compiles and
trains without a word: categorical crossentropy (or its sparse form) over a single
unit (the loss is always 0), or on an output that is not a softmax while the loss
expects probabilities (or with `from_logits=True` on an output that is already a
softmax); binary crossentropy on a softmax over several units (the units compete,
while binary crossentropy scores each on its own); sparse categorical crossentropy on
a Dense applied to a feature map, which scores one class per position (the Flatten
or pooling before the classifier was forgotten). The loss is the output's own in a
per-output `loss` dict.""", """
model m {
    input x: (16,)
    output y = x -> Dense(1, activation="softmax")
    compile { optimizer = "adam"  loss = "categorical_crossentropy" }
}""", """
Make the last layer and the loss agree: `Dense(N, activation="softmax")` with
`categorical_crossentropy` (one-hot targets) or `sparse_categorical_crossentropy`
(class ids); `Dense(1, activation="sigmoid")` or several sigmoid units with
`binary_crossentropy`; a linear last layer with `CategoricalCrossentropy(from_logits=True)`.""")
W302 = _c("W302", "mask destroyed", """
A mask made by `Embedding(..., mask_zero=True)` or `Masking()` reaches a layer that
does not support masking (Flatten, Conv1D, GlobalMaxPooling1D, ...). Keras drops the
mask there with a warning when the model is built, and the layers after it treat the
padded positions as data. Which layers support masking is captured from Keras
(graphspec/catalog/keras_masking.json); the mask is followed through layers that pass
it on unchanged (Dense, Dropout, ...) and no further than layers that transform it
(RNNs, pooling and merge layers).""", """
model m {
    input tokens: (20,) int32
    output y = tokens -> Embedding(1000, 16, mask_zero=True) -> Flatten() -> Dense(1)
}""", """
Reduce or transform the sequence with a layer that supports masking before the one
that does not (`GlobalAveragePooling1D()`, `LSTM(...)`), or remove `mask_zero=True`
if the padding need not be ignored.""")
W303 = _c("W303", "monitored quantity never logged", """
A callback's `monitor=` (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau) names a
quantity that training never logs: not `loss`, not a per-output loss, not a metric of
the compile block (nor its `val_` form). Keras only warns at the end of each epoch,
and the callback never acts: early stopping never stops, the best model is never
saved. With several outputs Keras prefixes each metric with its output's name
(`department_accuracy`); a metric class logs under its `name=`.""", """
model m {
    input x: (16,)
    output y = x -> Dense(3, activation="softmax")
    compile { optimizer = "adam"  loss = "categorical_crossentropy"  metrics = ["accuracy"] }
    fit { callbacks = [EarlyStopping(monitor="val_acuracy", patience=2)] }
}""", """
Monitor a logged quantity (the warning lists them), or add the metric to `compile {
metrics = [...] }`.""")
W201 = _c("W201", "bidirectional control character", """
A comment or a string holds a Unicode bidirectional control character (U+202A to
U+202E, U+2066 to U+2069: embeddings, overrides and isolates). An editor or a code
review shows the rest of the line reordered, so the text can look different from
what graphspec reads ("Trojan Source"). graphspec prints the character escaped
(`\\u202e`); outside comments and strings it is refused (E101).""",
           "(a comment `# admin only` with U+202E RIGHT-TO-LEFT OVERRIDE inside it)", """
Remove the character. If a string really needs it, write it as an escape
(`"\\u2067"`), so that the file itself holds no control character.""", kind=DESCRIPTION)


def explain(code: Union[Code, str]) -> str:
    """The explanation of `code`, in the style of `ruff rule`."""
    c = CODES[code_id(code)]
    example = c.example
    if c.example_kind == CLI:
        example = "$ " + example
    elif c.example_kind == SPEC and c.command != DEFAULT_COMMAND:
        example += "\n\n$ " + c.command
    text = (f"{c.id}: {c.title} ({c.severity})\n\n"
            f"What it means\n  " + c.what.replace("\n", "\n  ") + "\n\n"
            f"Example\n  " + example.replace("\n", "\n  ") + "\n\n"
            f"How to fix it\n  " + c.fix.replace("\n", "\n  ") + "\n")
    if c.severity == WARNING:
        text += "\n" + silencing(c) + "\n"
    return "\n".join(line.rstrip() for line in text.split("\n"))


def silencing(code: Union[Code, str]) -> str:
    """How a warning is silenced (graphspec/diagnostics/suppress.py), for `graphspec explain`."""
    code = code_id(code)
    return (f"Silencing it\n  `# gspec: ignore[{code}]` at the end of its line or alone on the line above;\n"
            f"  in every spec of a project, `ignore = [\"{code}\"]` in [tool.graphspec] (docs/cli.md).")


def listing() -> str:
    """One line per code: code, severity, title (`graphspec explain --list`)."""
    return "\n".join(f"{c.id}  {c.severity:<7}  {c.title}" for c in CODES.values())
