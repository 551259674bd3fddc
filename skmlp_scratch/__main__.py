"""``python -m skmlp_scratch train ...``: the same command line as ``skmlp-scratch``."""

import sys

from ._cli import main

if __name__ == "__main__":  # guarded so that documentation tools can import it
    sys.exit(main(prog="python -m skmlp_scratch"))
