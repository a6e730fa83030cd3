"""`python -m graphspec.lsp`: the language server over stdio."""

import sys

from graphspec.lsp.server import main

sys.exit(main())
