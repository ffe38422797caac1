#!/usr/bin/env python3
"""Write the first N bytes of a file: a truncated ELF for qemu.linux.hello."""
import sys
from pathlib import Path

src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
Path(dst).write_bytes(Path(src).read_bytes()[:n])
