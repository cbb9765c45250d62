"""`python -m hostlab.tutorial` (what `make tutorial` runs): see hostlab.tutorial.story."""

import sys

from hostlab.tutorial.story import main

sys.exit(main())
