import sys

from hyperscore.operator.cli import main

sys.exit(main())
