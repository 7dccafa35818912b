"""What the answer file's hand-built bodies save: every customer's /interactions/{id} body
made by api/cache.rendered_answers (the channels' keys rendered once, checked against Flask's
render) against Flask's render of each body, for the same rows, best of 3 rounds.

    .venv/bin/python scripts/bench_answer_file.py [CUSTOMERS]    # default 200,000

It prints both times; the bodies must be the same bytes.
"""

import itertools
import sys
import time
from operator import itemgetter

from api import create_app
from api.cache import _answer, rendered_answers, renderer

CHANNELS = ((1, "Email"), (2, "Call"), (3, "Bird"))


def main(customers: int) -> None:
    app = create_app({"TESTING": True, "WAREHOUSE": "duckdb"})
    render = renderer(app)
    rows = [
        (customer, order, channel, customer % 7)
        for customer in range(1, customers + 1)
        for order, channel in CHANNELS
    ]

    def by_render():
        return [
            (customer, render(_answer(customer, tuple(r[2] for r in g), [r[3] for r in g])))
            for customer, group in itertools.groupby(rows, key=itemgetter(0))
            for g in [list(group)]
        ]

    def hand_built():
        return list(rendered_answers(rows, render))

    with app.app_context():
        assert hand_built() == by_render(), "the hand-built bodies differ from Flask's"
        for name, make in (
            ("hand-built (rendered_answers)", hand_built),
            ("render each", by_render),
        ):
            best = min(_seconds(make) for _ in range(3))
            print(f"{name:30} {best:6.2f} s for {customers:,} customers")


def _seconds(make) -> float:
    start = time.perf_counter()
    make()
    return time.perf_counter() - start


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
