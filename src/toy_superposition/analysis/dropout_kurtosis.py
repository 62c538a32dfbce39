"""Kurtosis of hidden activations: a basis-dependent measure of a privileged basis.

If nothing singles out the hidden coordinates, rotating the hidden space leaves every
statistic of the activations unchanged; kurtosis measured *in the coordinate basis* is not
rotation invariant, so comparing it with the same kurtosis after a random rotation shows
whether the coordinates are special ("Privileged Bases in the Transformer Residual Stream",
Anthropic 2023, cited in the comments on "Superposition and Dropout").

Shapes: ``I`` models, ``B`` inputs, ``n`` features, ``m`` hidden dimensions; hidden
activations ``h = Wᵀx`` are (I, B, m) (``h_b = Σ_i x_{b,i} W_i``, before dropout: the
deterministic model).

Two kurtoses, both the plain (non-excess) fourth standardised moment:

* **per vector** (the Anthropic measure): the m coordinates of one activation vector taken as
  a sample, ``κ(h) = m Σ_j h_j⁴ / (Σ_j h_j²)²``, averaged over the non-zero inputs. It depends
  only on the direction ``ĥ``: ``κ = m Σ_j ĥ_j⁴ = m((m−1) a_m(ĥ) + 3)/(m + 2)`` with ``a_m``
  the axis alignment of :mod:`.dropout_orientation`. For an isotropic Gaussian (indeed any
  rotation-invariant distribution) ``E κ = 3m/(m + 2)`` exactly, → 3 as m → ∞; one-hot
  vectors (activations on the axes) give m.
* **per coordinate**: coordinate j over the inputs, ``κ_j = E_b[(h_j − μ_j)⁴] / Var_b[h_j]²``,
  averaged over the coordinates with non-zero variance. 3 for any Gaussian, whatever m.

The *randomly rotated control* applies one Haar-random orthogonal ``Q`` (m × m) per model,
``h → h Q``, and measures the same kurtosis: the value the model would show if its basis were
not privileged.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..distributions import FeatureDistribution, sample_features

#: Per-coordinate kurtosis of any Gaussian.
GAUSSIAN_COORDINATE_KURTOSIS = 3.0


def gaussian_vector_kurtosis(m: int) -> float:
    """E[κ(h)] of the per-vector kurtosis for an isotropic Gaussian in m dimensions: 3m/(m + 2)."""
    return 3.0 * m / (m + 2)


def hidden_activations(W: Tensor, x: Tensor) -> Tensor:
    """``h = Wᵀx`` for every model and input: W (I, n, m), x (I, B, n) → (I, B, m)."""
    return torch.einsum("ibn,inm->ibm", x, W)


def vector_kurtosis(h: Tensor) -> Tensor:
    """Mean over non-zero inputs of ``m Σ_j h_j⁴ / (Σ_j h_j²)²``: (I, B, m) → (I,). NaN if all are zero."""
    m = h.shape[-1]
    square = h.square().sum(dim=-1)  # (I, B)
    nonzero = square > 0
    kurtosis = m * h.pow(4).sum(dim=-1) / torch.where(nonzero, square, torch.ones_like(square)).square()
    count = nonzero.sum(dim=-1)
    total = torch.where(nonzero, kurtosis, torch.zeros_like(kurtosis)).sum(dim=-1)
    return torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, float("nan")))


def coordinate_kurtosis(h: Tensor) -> Tensor:
    """Mean over coordinates of ``E[(h_j − μ_j)⁴] / Var[h_j]²`` over the inputs: (I, B, m) → (I,).

    Coordinates with zero variance are left out; NaN if every coordinate is constant.
    """
    centred = h - h.mean(dim=1, keepdim=True)
    variance = centred.square().mean(dim=1)  # (I, m)
    usable = variance > 1e-30
    fourth = centred.pow(4).mean(dim=1)
    kurtosis = fourth / torch.where(usable, variance, torch.ones_like(variance)).square()
    count = usable.sum(dim=-1)
    total = torch.where(usable, kurtosis, torch.zeros_like(kurtosis)).sum(dim=-1)
    return torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, float("nan")))


def haar_orthogonal(count: int, m: int, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> Tensor:
    """``count`` Haar-random orthogonal m × m matrices: (count, m, m).

    QR of a standard Gaussian matrix, with the signs of R's diagonal moved into Q (Mezzadri
    2007) so the distribution is exactly Haar, not biased by the QR convention.
    """
    gaussian = torch.randn((count, m, m), generator=generator, dtype=dtype)
    q, r = torch.linalg.qr(gaussian)
    signs = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return q * signs[:, None, :]


def rotate(h: Tensor, rotations: Tensor) -> Tensor:
    """``h Q`` for one rotation per model: h (I, B, m), rotations (I, m, m) → (I, B, m)."""
    return torch.bmm(h, rotations.to(h.dtype))


def model_kurtosis(W: Tensor, probability: Tensor, batch_size: int = 2048, seed: int = 0,
                   chunk: int = 256) -> dict[str, Tensor]:
    """Both kurtoses of every model's hidden activations, and of the same activations randomly rotated.

    W (I, n, m) float64; probability (I, n) of each feature being active (independent features,
    values U[0, 1] when active, as in :mod:`.distributions`). Inputs and rotations are drawn
    from one generator seeded with ``seed``, ``chunk`` models at a time. Returns (I,) tensors
    ``vector``, ``vector_rotated``, ``coordinate``, ``coordinate_rotated``.
    """

    generator = torch.Generator().manual_seed(seed)
    n_models, _, m = W.shape
    out: dict[str, list[Tensor]] = {"vector": [], "vector_rotated": [], "coordinate": [], "coordinate_rotated": []}
    for start in range(0, n_models, chunk):
        stop = min(start + chunk, n_models)
        dist = FeatureDistribution(probability[start:stop].double(), torch.ones_like(probability[start:stop]).double())
        x = sample_features(dist, batch_size, generator)  # (chunk, B, n)
        h = hidden_activations(W[start:stop].double(), x)
        rotated = rotate(h, haar_orthogonal(stop - start, m, generator))
        out["vector"].append(vector_kurtosis(h))
        out["vector_rotated"].append(vector_kurtosis(rotated))
        out["coordinate"].append(coordinate_kurtosis(h))
        out["coordinate_rotated"].append(coordinate_kurtosis(rotated))
    return {key: torch.cat(values) for key, values in out.items()}
