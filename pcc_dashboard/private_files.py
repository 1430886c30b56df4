"""Files only the service's own user may read: the secret key, the SQLite database, stored returns."""

import os
from pathlib import Path

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only, whatever the umask; an existing
    folder is left as it is."""
    path.mkdir(mode=OWNER_ONLY_DIR, parents=True, exist_ok=True)
    return path


def private_file(path: Path, data: bytes | None = None) -> Path:
    """Create `path` readable and writable by its owner only (with `data`, which it must not
    already hold: FileExistsError); with data=None an existing file is left as it is."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if data is not None else 0)
    descriptor = os.open(path, flags, OWNER_ONLY_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        if data is not None:
            handle.write(data)
    return path
