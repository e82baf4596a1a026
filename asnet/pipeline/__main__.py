"""`python -m asnet.pipeline render|list|digest|--check` (asnet.pipeline.cli)."""
import sys

from asnet.pipeline.cli import main

sys.exit(main())
