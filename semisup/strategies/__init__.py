"""Strategies: scikit-learn classifiers around one shared encoder, one module each.

`REGISTRY` maps a name to a strategy class; `get(name)` returns the class and raises with the list
of valid names for an unknown one. A strategy you write joins the registry with `register`.

Example:
    >>> from semisup import strategies
    >>> strategies.get("supervised")
    <class 'semisup.strategies.supervised.Supervised'>
"""

from __future__ import annotations

from semisup.strategies._base import UNLABELED, BaseStrategy
from semisup.strategies._consistency import ConsistencyStrategy
from semisup.strategies.contrastive import ContrastivePretraining
from semisup.strategies.fixmatch import FixMatch
from semisup.strategies.freematch import FreeMatch
from semisup.strategies.mean_teacher import MeanTeacher
from semisup.strategies.one_step_autoencoder import OneStepAutoencoder
from semisup.strategies.pi_model import PiModel
from semisup.strategies.pseudo_label import PseudoLabel
from semisup.strategies.self_training import SelfTraining
from semisup.strategies.softmatch import SoftMatch
from semisup.strategies.supervised import Supervised
from semisup.strategies.two_step_autoencoder import TwoStepAutoencoder

REGISTRY: dict[str, type[BaseStrategy]] = {}


def register(name: str, strategy: type[BaseStrategy], overwrite: bool = False):
    """Add a strategy class to the registry under `name`."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"Strategy name must be a non-empty string, got {name!r}.")
    if not (isinstance(strategy, type) and issubclass(strategy, BaseStrategy)):
        raise TypeError(
            f"strategy must be a subclass of semisup.strategies.BaseStrategy, got {strategy!r}."
        )
    if name in REGISTRY and not overwrite:
        raise ValueError(f"A strategy named {name!r} is already registered; pass overwrite=True.")
    REGISTRY[name] = strategy
    return strategy


def get(name: str) -> type[BaseStrategy]:
    """The strategy class registered as `name`."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown strategy {name!r}. Registered strategies: {sorted(REGISTRY)}."
        ) from None


register("supervised", Supervised)
register("self_training", SelfTraining)
register("two_step_autoencoder", TwoStepAutoencoder)
register("one_step_autoencoder", OneStepAutoencoder)
register("contrastive", ContrastivePretraining)
register("fixmatch", FixMatch)
register("freematch", FreeMatch)
register("softmatch", SoftMatch)
register("mean_teacher", MeanTeacher)
register("pseudo_label", PseudoLabel)
register("pi_model", PiModel)

__all__ = [
    "REGISTRY",
    "UNLABELED",
    "BaseStrategy",
    "ConsistencyStrategy",
    "ContrastivePretraining",
    "FixMatch",
    "FreeMatch",
    "MeanTeacher",
    "OneStepAutoencoder",
    "PiModel",
    "PseudoLabel",
    "SelfTraining",
    "SoftMatch",
    "Supervised",
    "TwoStepAutoencoder",
    "get",
    "register",
]
