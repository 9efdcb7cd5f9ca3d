"""Label reduction: which training samples keep their label, saved as indices.

A `LabelSplit` is the record of one label reduction (the seed's 20% protocol, or k labels per
class), so an experiment can be rerun on exactly the same labeled samples: save it next to the
results, load it back, `apply` it to the full labels.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._validation import check_labels

__all__ = ["LabelSplit", "seed_split", "per_class_split", "reduce_labels"]

_FILE_FORMAT = "semisup.LabelSplit"
_FILE_VERSION = 1


def _check_count(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__}).")
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value}.")
    return int(value)


def _check_indices(indices, n_samples: int, what: str, origin: str) -> np.ndarray:
    """Turn `indices` into a read-only int64 vector, or say what is wrong with it."""
    array = np.asarray(indices)
    if array.ndim != 1:
        raise ValueError(f"{origin}: {what} indices must be 1-D; got shape {array.shape}.")
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"{origin}: {what} indices must be integers; got dtype {array.dtype}.")
    array = array.astype(np.int64)  # a copy: the split must not change if the caller's does
    if array.size:
        if array[0] < 0 or array[-1] >= n_samples:
            bad = array[(array < 0) | (array >= n_samples)][0]
            raise ValueError(
                f"{origin}: {what} index {bad} is outside 0..{n_samples - 1} "
                f"(n_samples={n_samples})."
            )
        steps = np.diff(array)
        if (steps <= 0).any():
            position = int(np.flatnonzero(steps <= 0)[0]) + 1
            raise ValueError(
                f"{origin}: {what} indices must be sorted and unique; position {position} holds "
                f"{array[position]} after {array[position - 1]}."
            )
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class LabelSplit:
    """Which of `n_samples` training samples are labeled and which are not.

    The two index arrays are sorted, disjoint and together cover `0..n_samples-1`; this is
    checked on construction, so a loaded or hand-made split is always consistent.

    Args:
        labeled: indices of the samples that keep their label (int64, sorted).
        unlabeled: indices of the samples whose label is hidden (int64, sorted).
        n_samples: number of training samples the split is for.
        method: how the split was made, e.g. `"seed_split(fraction=0.2)"`.
        seed: the random seed used (None if none was).

    Example:
        >>> split = seed_split(50_000)
        >>> split
        LabelSplit(method='seed_split(fraction=0.2)', seed=125, n_samples=50000, labeled=10080, unlabeled=39920)
        >>> y_reduced = split.apply(y_train)  # doctest: +SKIP
    """  # noqa: E501

    labeled: np.ndarray
    unlabeled: np.ndarray
    n_samples: int
    method: str
    seed: int | None = None

    def __post_init__(self):
        self._validate(origin="LabelSplit")

    def _validate(self, origin: str) -> None:
        n_samples = _check_count(self.n_samples, "n_samples")
        labeled = _check_indices(self.labeled, n_samples, "labeled", origin)
        unlabeled = _check_indices(self.unlabeled, n_samples, "unlabeled", origin)
        if len(labeled) + len(unlabeled) != n_samples:
            raise ValueError(
                f"{origin}: {len(labeled)} labeled + {len(unlabeled)} unlabeled indices do not "
                f"add up to n_samples={n_samples}; every sample must be in exactly one of them."
            )
        overlap = np.intersect1d(labeled, unlabeled)
        if len(overlap):
            raise ValueError(
                f"{origin}: {len(overlap)} indices are both labeled and unlabeled "
                f"(the first is {overlap[0]}); the two sets must be disjoint."
            )
        if not isinstance(self.method, str):
            raise TypeError(f"{origin}: method must be a string; got {self.method!r}.")
        if self.seed is not None and (
            isinstance(self.seed, (bool, np.bool_)) or not isinstance(self.seed, (int, np.integer))
        ):
            raise TypeError(f"{origin}: seed must be an integer or None; got {self.seed!r}.")
        object.__setattr__(self, "labeled", labeled)
        object.__setattr__(self, "unlabeled", unlabeled)
        object.__setattr__(self, "n_samples", n_samples)
        object.__setattr__(self, "seed", None if self.seed is None else int(self.seed))

    @property
    def n_labeled(self) -> int:
        """Number of labeled samples."""
        return len(self.labeled)

    @property
    def n_unlabeled(self) -> int:
        """Number of unlabeled samples."""
        return len(self.unlabeled)

    @property
    def labeled_mask(self) -> np.ndarray:
        """Boolean vector of length `n_samples`, True where the sample is labeled."""
        mask = np.zeros(self.n_samples, dtype=bool)
        mask[self.labeled] = True
        return mask

    def apply(self, y) -> np.ndarray:
        """Return a copy of `y` with -1 (unlabeled) at every unlabeled index.

        Args:
            y: the full training labels, one per sample (length `n_samples`).

        Returns:
            int64 labels, -1 where the label is hidden; `y` itself is not modified.

        Example:
            >>> seed_split(5, fraction=0.5).apply([0, 1, 2, 3, 4])
            array([-1,  1, -1,  3,  4])
        """
        reduced = np.array(check_labels(y, self.n_samples, name="y"), dtype=np.int64, copy=True)
        reduced[self.unlabeled] = -1
        return reduced

    def save(self, path) -> Path:
        """Write the split to `path`: `.json` gives a readable file, anything else `.npz`.

        Args:
            path: destination file; `.npz` is appended by numpy if no suffix is given.

        Returns:
            The path written.

        Example:
            >>> seed_split(100).save(tmp_path / "split.npz")  # doctest: +SKIP
        """
        path = Path(path)
        if path.suffix.lower() == ".json":
            document = {
                "format": _FILE_FORMAT,
                "version": _FILE_VERSION,
                "n_samples": self.n_samples,
                "method": self.method,
                "seed": self.seed,
                "labeled": self.labeled.tolist(),
                "unlabeled": self.unlabeled.tolist(),
            }
            path.write_text(json.dumps(document) + "\n", encoding="utf-8")
            return path
        if path.suffix.lower() != ".npz":
            path = path.with_name(path.name + ".npz")
        np.savez(
            path,
            format=np.array(_FILE_FORMAT),
            version=np.array(_FILE_VERSION),
            n_samples=np.array(self.n_samples, dtype=np.int64),
            method=np.array(self.method),
            # npz has no "None": an empty array marks "no seed" without pickling an object
            seed=np.array([] if self.seed is None else [self.seed], dtype=np.int64),
            labeled=self.labeled,
            unlabeled=self.unlabeled,
        )
        return path

    @classmethod
    def load(cls, path) -> LabelSplit:
        """Read a split written by `save` and check it (sorted, disjoint, covering 0..n-1).

        Args:
            path: a `.npz` or `.json` file written by `LabelSplit.save`.

        Returns:
            The `LabelSplit`.

        Raises:
            ValueError: if the file is not a saved LabelSplit or its indices are inconsistent.

        Example:
            >>> split = LabelSplit.load("results/split.npz")  # doctest: +SKIP
        """
        path = Path(path)
        origin = f"LabelSplit file {os.fspath(path)}"
        required = ("n_samples", "method", "seed", "labeled", "unlabeled")
        if path.suffix.lower() == ".json":
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise ValueError(f"{origin} is not valid JSON ({error}).") from error
            if not isinstance(document, dict):
                raise ValueError(f"{origin} does not hold a saved LabelSplit (not a JSON object).")
            fields = document
            seed = document.get("seed")
        else:
            try:
                with np.load(path, allow_pickle=False) as archive:
                    fields = {key: archive[key] for key in archive.files}
            except (ValueError, OSError) as error:
                raise ValueError(f"{origin} is not a readable .npz file ({error}).") from error
            seed_values = np.atleast_1d(fields.get("seed", np.array([0, 0])))
            seed = int(seed_values[0]) if len(seed_values) == 1 else None
        missing = [key for key in required if key not in fields]
        if missing or fields.get("format") is None or str(fields["format"]) != _FILE_FORMAT:
            raise ValueError(
                f"{origin} does not hold a saved LabelSplit (missing: "
                f"{', '.join(missing) or 'format tag'}); write it with LabelSplit.save()."
            )
        n_samples = fields["n_samples"]
        n_samples = int(n_samples) if np.ndim(n_samples) == 0 else n_samples
        split = cls.__new__(cls)
        object.__setattr__(split, "labeled", np.asarray(fields["labeled"]))
        object.__setattr__(split, "unlabeled", np.asarray(fields["unlabeled"]))
        object.__setattr__(split, "n_samples", n_samples)
        object.__setattr__(split, "method", str(fields["method"]))
        object.__setattr__(split, "seed", seed)
        split._validate(origin=origin)
        return split

    def __eq__(self, other) -> bool:
        if not isinstance(other, LabelSplit):
            return NotImplemented
        return (
            self.n_samples == other.n_samples
            and self.method == other.method
            and self.seed == other.seed
            and np.array_equal(self.labeled, other.labeled)
            and np.array_equal(self.unlabeled, other.unlabeled)
        )

    __hash__ = None  # mutable-looking arrays inside: equal splits need not hash alike

    def __repr__(self) -> str:
        return (
            f"LabelSplit(method={self.method!r}, seed={self.seed}, n_samples={self.n_samples}, "
            f"labeled={self.n_labeled}, unlabeled={self.n_unlabeled})"
        )


def seed_split(n_samples: int, seed: int = 125, fraction: float = 0.2) -> LabelSplit:
    """The seed project's label reduction: keep sample i's label where a uniform draw <= fraction.

    Bit-exact with `np.random.seed(125); p = np.random.rand(n); labeled = p <= 0.2`, but drawn
    from a private `np.random.RandomState(seed)`, so numpy's global random state is untouched.

    Args:
        n_samples: number of training samples.
        seed: seed of the draw (the seed project used 125).
        fraction: probability that a sample keeps its label, in [0, 1].

    Returns:
        The `LabelSplit`; on 50,000 samples it keeps 10,080 labels, on FER2013's 28,709, 5,824.

    Example:
        >>> seed_split(28_709).n_labeled
        5824
    """
    n_samples = _check_count(n_samples, "n_samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1]; got {fraction}.")
    draws = np.random.RandomState(seed).rand(n_samples)
    keep = draws <= fraction
    return LabelSplit(
        labeled=np.flatnonzero(keep),
        unlabeled=np.flatnonzero(~keep),
        n_samples=n_samples,
        method=f"seed_split(fraction={fraction})",
        seed=seed,
    )


def per_class_split(y, labels_per_class: int, seed: int = 0) -> LabelSplit:
    """Keep exactly `labels_per_class` labels of every class, drawn at random.

    Samples already marked -1 in `y` stay unlabeled and are never drawn.

    Args:
        y: the full training labels (int class codes; -1 allowed for already unlabeled).
        labels_per_class: how many labeled samples each class keeps (>= 1).
        seed: seed of `np.random.default_rng`, so the same seed gives the same split.

    Returns:
        The `LabelSplit` (classes are drawn in ascending order of their code).

    Raises:
        ValueError: if a class has fewer than `labels_per_class` samples (names the class and
            its count).

    Example:
        >>> split = per_class_split([0, 0, 1, 1, 1], labels_per_class=1, seed=0)
        >>> split.n_labeled
        2
    """
    labels_per_class = _check_count(labels_per_class, "labels_per_class")
    if labels_per_class < 1:
        raise ValueError("labels_per_class must be at least 1.")
    y = np.asarray(y)
    y = check_labels(y, len(y), name="y")
    generator = np.random.default_rng(seed)
    chosen = []
    for class_code in np.unique(y[y >= 0]):
        members = np.flatnonzero(y == class_code)
        if len(members) < labels_per_class:
            raise ValueError(
                f"class {class_code} has only {len(members)} samples, fewer than "
                f"labels_per_class={labels_per_class}; lower labels_per_class to at most "
                f"{len(members)}."
            )
        chosen.append(generator.choice(members, size=labels_per_class, replace=False))
    labeled = np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)
    keep = np.zeros(len(y), dtype=bool)
    keep[labeled] = True
    return LabelSplit(
        labeled=labeled,
        unlabeled=np.flatnonzero(~keep),
        n_samples=len(y),
        method=f"per_class_split(labels_per_class={labels_per_class})",
        seed=seed,
    )


def reduce_labels(y, split: LabelSplit) -> np.ndarray:
    """Hide the labels `split` marks unlabeled: the same as `split.apply(y)`.

    Args:
        y: the full training labels.
        split: the `LabelSplit` to apply.

    Returns:
        A copy of `y` (int64) with -1 at the unlabeled indices.

    Example:
        >>> reduce_labels([3, 4, 5], seed_split(3, fraction=1.0))
        array([3, 4, 5])
    """
    return split.apply(y)
