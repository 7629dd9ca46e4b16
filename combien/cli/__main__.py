"""`python -m combien.cli`."""

import sys

from combien.cli import main

sys.exit(main())
