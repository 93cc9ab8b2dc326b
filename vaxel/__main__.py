import sys

from vaxel.cli import main

sys.exit(main())
