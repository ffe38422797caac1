"""User-ABI numbers that C code shares with the spec compiler: the CSpace slots every
component has. The compiler's resolved model (resolved.py) places the self caps at these
slots; libm6/gen_layout_h.py writes them, with layout.py's user memory map, into
<m6/layout.h>, the one place C takes them from.
"""

from __future__ import annotations

SELF_CNODE_SLOT = 1   # the component's own CNode (CAP_SELF_CNODE, M6_CAP_SELF_CNODE)
SELF_VSPACE_SLOT = 2  # its VSpace
SELF_TCB_SLOT = 3     # its main thread's TCB
