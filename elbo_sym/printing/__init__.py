"""Printers for the probability algebra: LaTeX for documents, Unicode text for terminals."""
from .latex import latex, latex_relation
from .text import relation_symbol, text

__all__ = ["latex", "latex_relation", "relation_symbol", "text"]
