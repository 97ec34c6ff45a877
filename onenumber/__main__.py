import sys

from onenumber.cli import main

sys.exit(main())
