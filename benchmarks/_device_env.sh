# Sourced by the benchmarks/device_*.sh scripts (run from the repository root on the lent GPU
# machine): Keras from the carried wheels in .whl/, installed once per machine, and the
# environment every GPU run uses. `decode_datasets NAME...` decodes data sets under /root/data
# into the array cache once, before parallel workers would each decode them.
[ -d /tmp/site/keras ] || python3 -m pip install -q --no-index --no-deps --no-compile \
  --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false \
  PYTHONUNBUFFERED=1 SEMISUP_CACHE_DIR=/root/cache TF_CPP_MIN_LOG_LEVEL=3

decode_datasets() {
  python3 -c "import sys
from semisup.data import load
for name in sys.argv[1:]:
    print(load(name, data_dir='/root/data'))" "$@"
}
