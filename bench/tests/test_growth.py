"""``bench/growth.py``'s seed: one level per result size, and the generations under a row."""

from bench import growth
from bench import workload as w


def test_layout_gives_each_size_a_level_and_ids_without_gaps():
    assert growth.layout([20, 2_000, 200_000]) == [(1, 1, 20), (2, 21, 2_000), (3, 2_021, 200_000)]
    rows = list(growth.seed_rows("simple", [3, 5]))
    assert [r[0] for r in rows] == list(range(1, 9))
    assert [r[2] for r in rows] == [1] * 3 + [2] * 5
    assert all(len(r) == len(w.columns("simple")) for r in rows)


def test_generations_are_the_children_of_the_seed_tree():
    rows = list(growth.seed_rows("related", [100]))
    parent = {r[0]: r[-1] for r in rows}
    gens = growth.generations(5, 3, 3)
    assert [len(g) for g in gens] == [3, 6, 12, 24]
    for above, below in zip(gens, gens[1:], strict=False):
        assert sorted(i for i in parent if parent[i] in above) == list(below)
