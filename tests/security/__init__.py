"""Regression tests for attacks on aksara: each reproduces one, which must now fail safe."""
