"""Limits that keep any input, however large or hostile, from hanging the checker.

Documented in docs/language.md ("Limits"); each one is reported as a located diagnostic.
"""

MAX_FILE_BYTES = 5 * 1024 * 1024  # a spec larger than 5 MiB is refused (E003)
MAX_NESTING = 64  # brackets nested deeper than this are refused (E103)
MAX_NODES = 200_000  # layer applications after expanding blocks and repeats (E004)
MAX_REPEAT = 100_000  # a single `repeat` count (E004)
MAX_STEPS = 1_000_000  # expansion steps: every statement executed, every `repeat` iteration and every block
# expansion, layer-free ones included (`repeat 100000 { repeat 100000 { h = h } }`) (E004)
MAX_IMPORT_DEPTH = 64  # import chains deeper than this are refused (E204)
MAX_EXPANSION_DEPTH = 64  # blocks expanding blocks deeper than this (E205); also models nested
# in models, and `extends` chains, deeper than this (E206)
MAX_EXPR_DEPTH = 100  # syntax nested deeper than this (operators, calls, tuples, statements inside one
# another; e.g. `1+1+...+1` with thousands of terms, or `- - - ... 1`) is refused before it is lowered (E103).
# Deep trees would otherwise exhaust Python's recursion limit.
MAX_VALUE_DEPTH = 200  # operators nested while computing one value, counting those of the consts it is defined
# through, and theirs (E103)
MAX_CONST_DEPTH = 64  # a const defined through a chain of more than this many other consts (E208)
MAX_SYNTAX_ERRORS = 20  # syntax errors reported per file before giving up
MAX_INT = 2**53  # arithmetic results beyond this are refused (E250)
MAX_STRING = 65_536  # characters of a string built with `+` (E250): doubling consts would otherwise grow 2**64
MAX_PARAMS = 1_000_000_000  # parameters of one model: a billion float32 weights is 4 GB (issue 14 findings 12, 18)
# `graphspec import` reads a .keras archive's config.json alone, within these (issue 14 finding 18):
MAX_KERAS_MEMBERS = 1_000  # members of the zip archive (counted from its end record before it is read)
MAX_KERAS_CONFIG_BYTES = 32 * 1024 * 1024  # config.json uncompressed, as declared and as actually read
MAX_KERAS_CONFIG_DEPTH = 100  # JSON nesting of config.json
