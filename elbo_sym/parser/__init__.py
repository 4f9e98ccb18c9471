"""The ``.deriv`` file language: ``parse_file`` and ``parse_text`` give ``Derivation`` objects.

Importing this package builds nothing; the LALR parser is built on the first parse.
"""
from .reader import parse_expression, parse_file, parse_text

__all__ = ["parse_file", "parse_text", "parse_expression"]
