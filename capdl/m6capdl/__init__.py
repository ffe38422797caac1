"""m6-capdl: the m6 system-spec compiler.

Reads a system spec (`*.m6`), checks it, and emits what the kernel and the
components are built from: per-component cap headers, the C boot tables, the boot
image holding program pages, and a JSON manifest.
"""

__version__ = "0.1.0"
