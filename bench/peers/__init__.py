"""One module per peer, each runnable as ``python -m bench.peers.<module>``."""
