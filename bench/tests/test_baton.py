"""``run.py --paired``: two peers' timed rounds alternate, and one that finishes frees the other."""

import os
import threading

from bench.peers.base import Baton


def _pair() -> tuple[Baton, Baton]:
    first_in, first_out = os.pipe()
    second_in, second_out = os.pipe()
    os.write(first_out, b"t")  # as run.py does: the first peer starts
    return Baton(first_in, second_out), Baton(second_in, first_out)


def test_rounds_alternate_and_a_finished_peer_lets_the_other_run_alone():
    first, second = _pair()
    order: list[str] = []

    def peer(name: str, baton: Baton, rounds: int) -> None:
        for n in range(rounds):
            baton.turn()
            order.append(f"{name}{n}")
        baton.done()

    threads = [
        threading.Thread(target=peer, args=("a", first, 4)),
        threading.Thread(target=peer, args=("b", second, 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert order == ["a0", "b0", "a1", "b1", "a2", "a3"]
