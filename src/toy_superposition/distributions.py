"""Synthetic feature distributions, batched over instances and sampled on the training device.

Shapes: ``I`` instances, ``B`` batch, ``n`` features, ``K = n / set_size`` feature sets.

* **independent** — feature i is 0 with probability ``S_i = 1 - p_i``, else ``x_i ~ U[0, 1]``.
* **signed** (absolute-value task) — as independent, but ``x_i ~ U[-1, 1]`` when active.
* **correlated** — features come in sets of ``set_size``; one on/off draw per set
  (on with probability p), independent uniform values for its members.
* **anticorrelated** — each set is off with probability ``S = 1 - p``, else exactly one
  member (chosen uniformly) is active with a uniform value.

One uniform draw ``u`` decides both whether an independent feature is active and its
value: ``x = [u < p] · u / p``. Given ``u < p``, ``u / p`` is uniform on [0, 1), so this is
exactly the distribution above with half the random numbers of the usual two-draw
recipe (random-number generation is the largest cost of a CPU training step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from .config import ExperimentSpec

Kind = Literal["independent", "correlated", "anticorrelated"]


@dataclass
class FeatureDistribution:
    """Per-instance feature probabilities and importances.

    Attributes:
        probability: (I, n) probability that each feature is active, ``1 - S_i``.
        importance: (I, n) weight ``I_i`` of each feature in the loss.
        kind: independent, correlated or anticorrelated.
        set_size: number of features per correlated / anticorrelated set.
        signed: active values are uniform on [-1, 1] instead of [0, 1].
    """

    probability: Tensor
    importance: Tensor
    kind: Kind = "independent"
    set_size: int = 1
    signed: bool = False

    @property
    def n_instances(self) -> int:
        return self.probability.shape[0]

    @property
    def n_features(self) -> int:
        return self.probability.shape[1]

    def to(self, device: torch.device | str) -> FeatureDistribution:
        return FeatureDistribution(
            self.probability.to(device), self.importance.to(device), self.kind, self.set_size, self.signed
        )

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw a batch of inputs, shape (I, B, n). ``generator=None`` uses torch's global RNG."""
        return sample_features(self, batch_size, generator)


def importance_vector(n_features: int, decay: float) -> Tensor:
    """``I_i = decay ** i`` for i = 0..n-1 (decay 1 gives uniform importance)."""
    return decay ** torch.arange(n_features, dtype=torch.float64)


def distribution_for(spec: ExperimentSpec) -> FeatureDistribution:
    """The distribution of every instance of an experiment, in plan order (float32, CPU).

    Feature i of an instance is active with its ``feature_probability`` and has importance
    ``importance_decay ** i``; the last ("extra") feature takes ``extra_feature_probability``
    and ``extra_feature_importance`` instead where the grid sets them.
    """
    plan = spec.instances()
    probability = torch.tensor([[s.feature_probability] * spec.features for s in plan], dtype=torch.float64)
    importance = torch.stack([importance_vector(spec.features, s.importance_decay) for s in plan])
    for settings in plan:
        if settings.extra_feature_probability == settings.extra_feature_probability:  # not NaN
            probability[settings.instance, -1] = settings.extra_feature_probability
        if settings.extra_feature_importance == settings.extra_feature_importance:
            importance[settings.instance, -1] = settings.extra_feature_importance
    return FeatureDistribution(
        probability=probability.float(),
        importance=importance.float(),
        kind=spec.distribution,
        set_size=spec.set_size,
        signed=spec.model == "absolute_value",
    )


def _uniform(shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)


def sample_features(dist: FeatureDistribution, batch_size: int, generator: torch.Generator | None = None) -> Tensor:
    """Sample inputs ``x`` of shape (I, B, n) from ``dist`` (see the module docstring)."""
    n_instances, n_features = dist.probability.shape
    p = dist.probability[:, None, :]  # (I, 1, n)
    if dist.kind == "independent":
        u = _uniform((n_instances, batch_size, n_features), dist.probability, generator)
        active = u < p
        scaled = u / p  # uniform on [0, 1) given active
        if dist.signed:
            scaled = 2.0 * scaled - 1.0
        return torch.where(active, scaled, torch.zeros((), dtype=u.dtype, device=u.device))

    k = dist.set_size
    n_sets = n_features // k
    values = _uniform((n_instances, batch_size, n_features), dist.probability, generator)
    if dist.signed:
        values = 2.0 * values - 1.0
    set_p = dist.probability.view(n_instances, n_sets, k)[:, None, :, 0]  # (I, 1, K): a set shares p
    set_u = _uniform((n_instances, batch_size, n_sets), dist.probability, generator)
    set_active = set_u < set_p  # (I, B, K)
    if dist.kind == "correlated":
        mask = set_active[..., None].expand(-1, -1, -1, k)
    elif dist.kind == "anticorrelated":
        # Reuse the set's draw to pick the member: given set_u < p, set_u / p is uniform.
        member = (set_u / set_p * k).long().clamp_(max=k - 1)  # (I, B, K)
        one_hot = torch.nn.functional.one_hot(member, k).bool()
        mask = one_hot & set_active[..., None]
    else:
        raise ValueError(f"unknown distribution kind {dist.kind!r}")
    return values * mask.reshape(n_instances, batch_size, n_features)
