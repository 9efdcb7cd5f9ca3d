import atexit
import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

_CACHE_VARIABLE = "SEMISUP_TESTS_JAX_CACHE"


def _share_jax_compilations():
    """Under JAX, let tests reuse each other's XLA compilations of the same program.

    Every fit builds a new model whose jitted step JAX compiles again, even where an earlier
    test compiled the very same program (the same strategy, shapes and settings). A
    compilation cache in a folder of this session (empty at the start, removed at the end, so
    no run depends on another) lets the repeats load the compiled program instead: the same
    computation, without paying for XLA again. Nothing changes under TensorFlow.
    """
    if keras.backend.backend() != "jax":
        return
    import jax

    # one folder for the whole session: pytest-xdist's workers inherit it from the controller
    # (which makes it and removes it at the end), so a program one worker compiled serves all
    folder = os.environ.get(_CACHE_VARIABLE)
    if not folder:
        folder = tempfile.mkdtemp(prefix="semisup-tests-jax-cache-")
        os.environ[_CACHE_VARIABLE] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


_share_jax_compilations()

# XLA's flags for quick compilation of the tests' tiny programs: LLVM's lighter optimisation
# pipeline on the CPU. The programs run for milliseconds; compiling them is what takes the time.
# On 2 cores the contract and consistency tests' JAX pass took 94 s instead of 123 s (opted
# out), and the whole JAX pass 313 s (444 s before the shared cache above and these flags).
# The operations are the same, compiled with fewer optimisations (the last bits of a float may
# differ). Under TensorFlow it made no difference (measured), so it is set under JAX alone;
# flags already in $XLA_FLAGS are kept, and a run can opt out with SEMISUP_TESTS_XLA_QUICK=0.
_QUICK_XLA_FLAGS = (
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true",
)


def _quick_xla_compilation():
    if keras.backend.backend() != "jax" or os.environ.get("SEMISUP_TESTS_XLA_QUICK") == "0":
        return
    flags = os.environ.get("XLA_FLAGS", "").split()
    names = {flag.split("=")[0] for flag in flags}
    flags += [flag for flag in _QUICK_XLA_FLAGS if flag.split("=")[0] not in names]
    os.environ["XLA_FLAGS"] = " ".join(flags)


_quick_xla_compilation()


def make_tiny_images():
    """40 grayscale 28x28 images of two easily separated classes, 10 labeled per class."""
    rng = np.random.default_rng(0)
    n = 40
    y_true = np.repeat([0, 1], n // 2)
    x = rng.integers(0, 60, size=(n, 28, 28, 1)).astype(np.uint8)
    # class 1 has a bright square in the middle: learnable in a few steps
    x[y_true == 1, 8:20, 8:20, :] += 180
    y = y_true.copy()
    y[5:20] = -1
    y[25:40] = -1
    return x, y, y_true


@pytest.fixture
def tiny_images():
    """`make_tiny_images()`, fresh for each test (which may change the arrays)."""
    return make_tiny_images()


@pytest.fixture(scope="session")
def shared_tiny_images():
    """The same images for fixtures that fit a model once and share it between tests: read-only,
    so no test can change what the others see."""
    arrays = make_tiny_images()
    for array in arrays:
        array.flags.writeable = False
    return arrays
