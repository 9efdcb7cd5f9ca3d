"""Entry point of one `semisup bench --jobs N` worker process (see `runner.worker_main`)."""

import sys

from semisup.bench.runner import worker_main

if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
