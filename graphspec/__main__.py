import sys

from graphspec.cli import main

sys.exit(main())
