import sys

from kezek.cli import main

sys.exit(main())
