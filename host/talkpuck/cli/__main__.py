"""`python -m talkpuck.cli ...` runs the `talkpuck` command."""
import sys

from talkpuck.cli import main

sys.exit(main())
