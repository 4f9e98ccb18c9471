"""The ``elbo-check`` script, for running the command from a checkout: ``python cli.py derive``.

The command itself lives in ``elbo_sym.cli`` (installed as the ``elbo-check`` entry point,
``elbo_sym.cli:main``; ``python -m elbo_sym`` runs it too). This file is not installed: nothing
puts a top-level module named ``cli`` into site-packages.
"""
from elbo_sym.cli import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
