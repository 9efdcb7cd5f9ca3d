"""Deep SVDD's two objectives as a filter of the unlabeled pool: which one removes the images that
do not belong there?

DESIGN.md asks for Ruff et al.'s soft-boundary objective; `DeepSVDDFilter` has both and
defaulted to the one-class one. FER2013 has no outliers marked, so this plants some: the filter
is fitted on the seed split's 5,824 labeled faces (conv4, nu = 0.1, the harness's filter
settings otherwise: 50 epochs, Adam 1e-4, 10 warm-up epochs for soft-boundary), and scores
FER2013's 22,885 unlabeled faces mixed with `--planted` CIFAR-10 test images (the JPEG copy),
made grey and resized to 48 x 48: pictures of objects and animals, not faces. Per objective
and seed it records how much of the pool each removes, how many of the planted images it
removes (recall) and how many of the removed images are planted (precision), and the AUROC of
its normality score for face against planted image. One JSON row per fit, with provenance.

    python benchmarks/deep_svdd_objectives.py --seeds 0,1,2 --data-dir ../shared/data \
        --out benchmarks/results/deep_svdd_objectives_fer2013.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from semisup.bench.runner import append_row  # noqa: E402
from semisup.data import load, seed_split  # noqa: E402
from semisup.filters import DeepSVDDFilter  # noqa: E402
from semisup.filters.deep_svdd import OBJECTIVES  # noqa: E402
from semisup.provenance import provenance  # noqa: E402


def planted_images(data_dir, n: int, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """`n` CIFAR-10 test images (the JPEG copy), grey (ITU-R 601 luma) and resized to `shape`,
    as uint8."""
    cifar = load("cifar10-jpeg", data_dir=data_dir)
    picked = np.random.default_rng(seed).choice(len(cifar.x_test), size=n, replace=False)
    rgb = cifar.x_test[picked].astype("float32")
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype="float32")[:, None]
    resized = keras.ops.convert_to_numpy(keras.ops.image.resize(grey, shape[:2]))
    return np.clip(np.rint(resized), 0, 255).astype(np.uint8)


def score(objective: str, seed: int, nu: float, epochs: int, labeled, pool, planted_mask):
    """Fit one filter on the labeled faces; what it does to the pool."""
    svdd = DeepSVDDFilter(nu=nu, objective=objective, epochs=epochs, random_state=seed)
    svdd.fit(labeled)
    normality = svdd.score_samples(pool)
    removed = svdd.predict(pool) == -1
    n_planted = int(planted_mask.sum())
    return {
        "removed_of_pool": float(removed.mean()),
        "removed_of_faces": float(removed[~planted_mask].mean()),
        "planted_recall": float(removed[planted_mask].sum() / n_planted),
        "planted_precision": float(removed[planted_mask].sum() / max(1, removed.sum())),
        "auroc_face_vs_planted": float(roc_auc_score(~planted_mask, normality)),
        "removed_of_labeled": float((svdd.predict(labeled) == -1).mean()),
        "final_loss": svdd.history_["loss"][-1],
        "final_radius": (svdd.history_.get("radius") or [None])[-1],
        "fit_seconds": round(svdd.fit_seconds_, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--objectives", default=",".join(OBJECTIVES))
    parser.add_argument("--nu", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--planted", type=int, default=2289, help="planted non-face images")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    fer = load("fer2013", data_dir=args.data_dir)
    split = seed_split(len(fer.y_train))
    labeled, faces = fer.x_train[split.labeled], fer.x_train[split.unlabeled]
    planted = planted_images(args.data_dir, args.planted, fer.image_shape)
    pool = np.concatenate([faces, planted])
    planted_mask = np.r_[np.zeros(len(faces), bool), np.ones(len(planted), bool)]
    for seed in [int(s) for s in args.seeds.split(",")]:
        for objective in args.objectives.split(","):
            row = {
                "dataset": "fer2013",
                "objective": objective,
                "nu": args.nu,
                "epochs": args.epochs,
                "seed": seed,
                "n_labeled": len(labeled),
                "n_pool_faces": len(faces),
                "n_planted": len(planted),
                **score(objective, seed, args.nu, args.epochs, labeled, pool, planted_mask),
                "provenance": provenance(),
            }
            print(json.dumps(row), flush=True)
            if args.out:
                append_row(Path(args.out), row)


if __name__ == "__main__":
    main()
