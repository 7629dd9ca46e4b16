"""`python -m combien`: the command line."""

import sys

from combien.cli import main

sys.exit(main())
