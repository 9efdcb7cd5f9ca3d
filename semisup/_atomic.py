"""Atomic file writes: write a temporary file beside the target, then rename it onto the target.

A reader of the target sees either its old content (or no file) or the complete new content,
never a half-written file, even when the writer is killed or several processes write the same
target at once (the last rename wins). The module imports neither Keras nor TensorFlow: the
report and merge modules use it without them.

Example:
    >>> import numpy as np
    >>> from semisup._atomic import atomic_path
    >>> with atomic_path("predictions/cell.npz") as temporary:  # doctest: +SKIP
    ...     np.savez(temporary, proba=np.zeros(3))
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(target) -> Iterator[Path]:
    """Yield a temporary path to write; on success, move it onto `target` in one rename.

    The temporary path lies in the folder of `target`, so the rename (`os.replace`) stays on
    one file system and is atomic. Its name is hidden (a leading dot), unique to this call
    (process id and a random part) and ends with the suffix of `target`, so a writer that
    appends a missing suffix (`np.savez` appends `.npz`) writes exactly that path. The file is
    not created: the block creates it, with the mode it chooses (`open`'s default gives
    0666 less the umask; `tempfile.mkstemp` would give 0600 and hide a shared folder's files
    from other users).

    When the block ends without an exception, the temporary file is flushed to disk (`fsync`)
    and renamed onto `target`, replacing any file there. The folder is not fsynced: after a
    crash, `target` holds its old content or the complete new one. When the block, the fsync
    or the rename raises, the temporary file is removed (if it exists), `target` is left as it
    was, and the exception is re-raised.

    Args:
        target: the file to write (str or Path). Its folder must exist.

    Yields:
        The temporary path (a `Path`) to write, e.g. with `open(path, "wb")` or `np.savez`.

    Raises:
        FileNotFoundError: if the block ended without writing the temporary path.
        OSError: if the fsync or the rename fails.

    Example:
        >>> with atomic_path(tmp_path / "config.json") as temporary:  # doctest: +SKIP
        ...     temporary.write_text("{}\\n")
    """
    target = Path(target)
    temporary = target.with_name(
        f".{target.stem}.{os.getpid()}-{uuid.uuid4().hex}.tmp{target.suffix}"
    )
    try:
        yield temporary
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        # a failed removal must not hide the error that stopped the write
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
