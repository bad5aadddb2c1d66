from bench import workload as w


def test_split_gives_one_contiguous_share_per_worker():
    shares = w.split(list(range(23)))
    assert len(shares) == w.WORKERS
    assert [x for share in shares for x in share] == list(range(23))
    assert {len(share) for share in shares} == {2, 3}


def test_rounds_cover_every_item_once():
    rounds = w.rounds(list(range(100)))
    assert len(rounds) == w.ROUNDS
    assert sorted(x for shares in rounds for share in shares for x in share) == list(range(100))


def test_seed_rows_match_the_schema_columns():
    for model in w.MODELS:
        row = w.seed_row(model, 7)
        assert len(row) == len(w.columns(model))
        assert row[0] == 7


def test_seed_levels_are_even_and_inserts_use_levels_of_their_own():
    levels = [w.seed_level(i) for i in range(1, 1001)]
    assert {levels.count(level) for level in w.LEVELS} == {200}
    assert not {w.LEVEL_A, w.LEVEL_B, w.LEVEL_C, w.LEVEL_I, w.LEVEL_J} & set(w.LEVELS)


def test_plan_is_deterministic_and_pages_stay_inside_a_level():
    a, b = w.plan("simple", w.QUICK), w.plan("simple", w.QUICK)
    assert a == b
    assert all(0 <= offset <= a.per_level - w.PAGE for _, offset in a.filter_small)
    assert all(1 <= pk <= w.QUICK.seed for pk in a.get)
    assert len(a.insert_bulk) == w.QUICK.insert_bulk


def test_scaled_counts_stay_divisible_by_the_workers():
    small = w.FULL.scaled(0.05)
    assert small.seed % 50 == 0
    assert small.insert_single % w.WORKERS == 0
    assert small.filter_large >= w.WORKERS
