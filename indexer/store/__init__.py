"""Where products are stored: the vector-store protocol and its backends (embedded Qdrant Edge,
a Qdrant server, a store host serving the embedded store to other processes), the wire the host
speaks, the change log and the vector cache that keep searches cheap, collection aliases, and the
keyword vector every product carries beside its image and text vectors (``keywords``)."""
