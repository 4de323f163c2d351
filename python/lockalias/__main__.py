"""python3 -m lockalias ...: the same as lockalias-drgn."""
import sys

from .cli import main

sys.exit(main())
