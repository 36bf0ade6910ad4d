"""``python -m mdc.cli``: the same as the ``mdc`` console script."""

from mdc.cli.main import main

main()
