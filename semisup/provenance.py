"""Where a number came from: commit, backend, device, package versions."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGES = ("semisup", "keras", "jax", "jaxlib", "tensorflow", "numpy", "scikit-learn")


def git_commit(path: str | os.PathLike | None = None) -> str:
    """$SEMISUP_COMMIT when set, else the checkout's commit (`-dirty` for uncommitted changes).

    The variable comes first: a copy of a working tree (on a lent GPU machine, say) can carry
    git metadata that is older than its files.
    """
    if os.environ.get("SEMISUP_COMMIT"):
        return os.environ["SEMISUP_COMMIT"]
    folder = Path(path) if path is not None else Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def device_description() -> str:
    """The accelerator the Keras backend computes on, e.g. 'gpu: NVIDIA H200', else the CPU."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            return f"{device.platform}: {getattr(device, 'device_kind', str(device))}"
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"gpu: {details.get('device_name', 'GPU')}"
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"gpu: {torch.cuda.get_device_name(0)}"
    except Exception as error:  # a provenance probe must never break a run
        return f"unknown ({type(error).__name__})"
    return f"cpu: {platform.processor() or platform.machine()} x{os.cpu_count()}"


def provenance() -> dict:
    """Everything a result row needs to be traced back to the code and machine that made it."""
    import keras

    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    versions["keras"] = keras.__version__
    return {
        "commit": git_commit(),
        "backend": keras.backend.backend(),
        "device": device_description(),
        "python": platform.python_version(),
        "versions": versions,
        "host": platform.node(),
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        # XLA's compiler flags where set (e.g. --xla_gpu_deterministic_ops=true): they can
        # change both the numbers and the speed of a run
        "xla_flags": os.environ.get("XLA_FLAGS") or None,
        # JAX's persistent compilation cache: where set, a fit's time leaves out the compiling
        # that programs found there spared
        "compilation_cache": compilation_cache_folder(),
    }


def compilation_cache_folder() -> str | None:
    """The folder of JAX's persistent compilation cache in this process (set by
    `$JAX_COMPILATION_CACHE_DIR` or `jax.config`); None where none is set or the backend is
    not JAX."""
    import keras

    if keras.backend.backend() != "jax":
        return None
    import jax

    return getattr(jax.config, "jax_compilation_cache_dir", None) or None
