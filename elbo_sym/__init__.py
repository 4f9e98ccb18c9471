"""elbo-check: a symbolic checker for variational-inference derivations."""
__version__ = "0.1.0"
