"""`python -m llm_router`: the `llm-router` command, for machines where the console script is not on PATH."""

import sys

from llm_router.cli import main

if __name__ == "__main__":
    sys.exit(main())
