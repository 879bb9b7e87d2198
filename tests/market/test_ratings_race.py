"""Two ratings of one order that both pass every check at once: the unique constraint on
ratings.order_id is the referee. On PostgreSQL the second insert waits for the first
transaction and then fails; the loser gets a 409, never a 500, and one rating remains."""
import threading

import pytest
from sqlalchemy import func, select

from tests.market.test_production import accepted  # noqa: F401  (fixture)
from tests.market.test_ratings import delivered  # noqa: F401  (fixture)


@pytest.mark.postgres_only  # SQLite serializes writers before the checks (write_lock): no race to referee
def test_two_ratings_racing_past_the_checks_leave_one_and_the_other_gets_409(delivered, app, monkeypatch):  # noqa: F811
    from market.credit import ratings

    buyer, _mill, _finish, order, _factories = delivered
    real_find, real_factories = ratings.find_order, ratings.rated_factories
    both_checked = threading.Barrier(2, timeout=30)

    def find_without_lock(s, actor, public_id, *, lock=False):
        return real_find(s, actor, public_id)  # no row lock: both requests read "not rated yet"

    def factories_after_both_checked(s, order):
        both_checked.wait()  # each request has passed the "already rated?" check
        return real_factories(s, order)

    monkeypatch.setattr(ratings, "find_order", find_without_lock)
    monkeypatch.setattr(ratings, "rated_factories", factories_after_both_checked)
    answers, go = [], threading.Barrier(2)

    def post(stars):
        client = app.test_client()
        go.wait()
        r = client.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": stars},
                        headers={"Authorization": f"Bearer {buyer.token}"})
        answers.append((r.status_code, (r.get_json() or {}).get("code")))

    threads = [threading.Thread(target=post, args=(n,)) for n in (1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers, key=lambda a: a[0]) == [(201, None), (409, "rating.already_rated")]

    from market.credit.rating_models import Rating, RatingSubject
    from market.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Rating.id))) == 1
        assert s.scalar(select(func.count(RatingSubject.id))) == 2  # the loser's subjects rolled back with it
