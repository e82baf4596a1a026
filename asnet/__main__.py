import sys

from asnet.cli import main

sys.exit(main())
