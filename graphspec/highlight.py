"""A Pygments lexer for .gspec files, so that Sphinx, MkDocs and Jupyter highlight ```gspec blocks.

Registered as the `pygments.lexers` entry point `gspec`; needs Pygments (the `[lsp]` or a docs
environment brings it), which the rest of graphspec never imports. The token rules follow the
grammar (grammar/graphspec.lark): the same keywords, dtypes, numbers, strings and comments;
editors/vscode/syntaxes/gspec.tmLanguage.json is the same lexer for TextMate editors.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

__all__ = ["GspecLexer"]

_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
           "string")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class GspecLexer(RegexLexer):
    """Lexer for graphspec's declarative graph specs (.gspec)."""

    name = "graphspec"
    aliases = ["gspec", "graphspec"]
    filenames = ["*.gspec"]
    mimetypes = ["text/x-gspec"]
    url = "https://github.com/graphspec/graphspec"

    tokens = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "dqs"),
            (r"'", String.Single, "sqs"),
            # Definitions: the name after the keyword is what is defined.
            (r"(model|block)(\s+)(" + _NAME + ")", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (r"(const|layer|input|output)(\s+)(" + _NAME + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Variable)),
            (r"(extends|as)(\s+)(" + _NAME + ")", bygroups(Keyword, Whitespace, Name.Class)),
            (words(("model", "block", "const", "layer", "input", "output"), suffix=r"\b"), Keyword.Declaration),
            (words(("import", "compile", "fit", "repeat", "as", "extends", "if", "else"), suffix=r"\b"), Keyword),
            (words(("and", "or", "not"), suffix=r"\b"), Operator.Word),
            (words(("True", "False", "None"), suffix=r"\b"), Keyword.Constant),
            (words(_DTYPES, suffix=r"\b"), Keyword.Type),
            (r"[0-9]+\.[0-9]*([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+", Number.Float),
            (r"[0-9]+", Number.Integer),
            (r"(" + _NAME + r")(\s*)(\()", bygroups(Name.Function, Whitespace, Punctuation)),  # a layer call
            (_NAME, Name),
            (r"->", Operator),
            (r"\*\*|//|==|!=|<=|>=|[-+*/%=:<>@]", Operator),
            (r"\.\.\.|\.", Punctuation),
            (r"[()\[\]{},]", Punctuation),
        ],
        "dqs": [
            (r'\\[^\n]', String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
        ],
        "sqs": [
            (r"\\[^\n]", String.Escape),
            (r"[^'\\\n]+", String.Single),
            (r"'", String.Single, "#pop"),
        ],
    }
