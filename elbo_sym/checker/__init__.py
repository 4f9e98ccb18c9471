"""The checker: normal forms for equalities, certificates for inequalities, verdicts."""
from .chain import DerivationResult, check_derivation
from .normal_form import NormalForm
from .step import REFUTED, UNKNOWN, VERIFIED, StepResult, check_step



def clear_caches() -> None:
    """Forget every memo the checker keeps between steps (for benchmarks that time from cold)."""
    from ..rules import densities, models
    from . import context, normal_form, numeric_pass, step

    normal_form._SHARED.clear()
    context.clear_contexts()
    step._CANCELS.clear()
    numeric_pass.clear_outcomes()
    densities._SPLITS.clear()
    for cached in (models._concrete, models._model_symbols, models._independences,
                   models._build_model):
        cached.cache_clear()


__all__ = ["clear_caches", "DerivationResult", "check_derivation", "NormalForm", "StepResult", "check_step",
           "VERIFIED", "REFUTED", "UNKNOWN"]
