"""The checker: normal forms for equalities, certificates for inequalities, verdicts."""
from .chain import DerivationResult, check_derivation
from .normal_form import NormalForm
from .step import REFUTED, UNKNOWN, VERIFIED, StepResult, check_step

__all__ = ["DerivationResult", "check_derivation", "NormalForm", "StepResult", "check_step",
           "VERIFIED", "REFUTED", "UNKNOWN"]
