"""Load and fault scripts for the example application (``python stress/load.py``)."""
