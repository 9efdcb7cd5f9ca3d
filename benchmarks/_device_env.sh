# Sourced by the benchmarks/device_*.sh scripts (run from the repository root on the lent GPU
# machine): Keras from the carried wheels in .whl/, installed once per machine, and the
# environment every GPU run uses. `decode_datasets NAME...` decodes data sets under /root/data
# into the array cache once, before parallel workers would each decode them.
[ -d /tmp/site/keras ] || python3 -m pip install -q --no-index --no-deps --no-compile \
  --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false \
  PYTHONUNBUFFERED=1 SEMISUP_CACHE_DIR=/root/cache TF_CPP_MIN_LOG_LEVEL=3
# DETERMINISTIC=1: XLA's deterministic GPU kernels (no atomics in reductions and scatters, no
# autotuned choice between kernels), so that two runs of one seed give the same numbers; the
# rows record it in provenance.xla_flags. Without it, two runs of one seed differed by up to 0.8
# points of FER2013 accuracy; with it two runs gave bitwise identical predictions, at 12 % of the
# step's speed (benchmarks/results/determinism-fer2013/README.md).
if [ "${DETERMINISTIC:-0}" = 1 ]; then
  case " ${XLA_FLAGS:-} " in
    *" --xla_gpu_deterministic_ops=true "*) ;;
    *) export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_deterministic_ops=true" ;;
  esac
fi

decode_datasets() {
  python3 -c "import sys
from semisup.data import load
for name in sys.argv[1:]:
    print(load(name, data_dir='/root/data'))" "$@"
}
