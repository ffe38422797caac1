"""m6idl: the m6 interface description compiler.

An interface (`*.idl`) lists the methods a server offers; m6idl turns it into one C
header with a typed client stub per method and the server's dispatch, so client and
server agree on labels and message layout by construction.
"""

__version__ = "0.1.0"
