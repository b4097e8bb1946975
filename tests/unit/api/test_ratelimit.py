"""The leaky-bucket rate limiter, on a fake clock."""

import pytest

from trove_lite.api import ratelimit
from trove_lite.common import exceptions


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(database):
    return Clock()


def limiter(clock, get=3, post=2, mgmt_post=1):
    return ratelimit.Limiter([
        ratelimit.Limit('POST', '*', '.*', post),
        ratelimit.Limit('GET', '*', '.*', get),
        ratelimit.Limit('POST', '*/mgmt', '^/mgmt', mgmt_post),
    ], clock=clock)


def test_value_requests_pass_then_the_next_is_refused(clock):
    limits = limiter(clock)
    for _ in range(3):
        limits.check('p1', 'GET', '/instances')
    with pytest.raises(exceptions.RateLimited) as refused:
        limits.check('p1', 'GET', '/instances')
    assert refused.value.code == 413
    assert str(refused.value) == 'This request was rate-limited.'
    assert refused.value.fault_fields() == {
        'details': 'Only 3 GET request(s) can be made to * every minute.',
        'retryAfter': '20'}
    assert refused.value.response_headers() == {'Retry-After': '20'}


def test_the_bucket_drains_over_time_and_refusals_are_not_counted(clock):
    limits = limiter(clock)
    for _ in range(3):
        limits.check('p1', 'GET', '/instances')
    for _ in range(5):
        with pytest.raises(exceptions.RateLimited):
            limits.check('p1', 'GET', '/instances')
    clock.now += 19.5
    with pytest.raises(exceptions.RateLimited) as refused:
        limits.check('p1', 'GET', '/instances')
    assert refused.value.retry_after == 1
    clock.now += 0.5
    limits.check('p1', 'GET', '/instances')


def test_projects_and_verbs_have_their_own_buckets(clock):
    limits = limiter(clock)
    for _ in range(3):
        limits.check('p1', 'GET', '/instances')
    with pytest.raises(exceptions.RateLimited):
        limits.check('p1', 'GET', '/instances')  # p1's GETs are used up
    # ... while p2's GETs and p1's POSTs are not.
    for _ in range(3):
        limits.check('p2', 'GET', '/instances')
    limits.check('p1', 'POST', '/instances')
    for _ in range(10):
        limits.check('p1', 'DELETE', '/instances/x')  # no DELETE limit


def test_a_mgmt_post_counts_against_both_post_limits(clock):
    limits = limiter(clock)
    limits.check('p1', 'POST', '/mgmt/quotas/p2')
    with pytest.raises(exceptions.RateLimited) as refused:
        limits.check('p1', 'POST', '/mgmt/quotas/p2')
    assert refused.value.details == (
        'Only 1 POST request(s) can be made to */mgmt every minute.')
    # The refused request took nothing from the general POST bucket.
    limits.check('p1', 'POST', '/instances')
    with pytest.raises(exceptions.RateLimited):
        limits.check('p1', 'POST', '/instances')


def test_status_reports_remaining_and_next_available(clock):
    limits = limiter(clock)
    fresh = limits.status('p1')
    assert [item['remaining'] for item in fresh] == [2, 3, 1]
    assert {item['next_available'] for item in fresh} == {clock.now}
    for _ in range(3):
        limits.check('p1', 'GET', '/instances')
    status = {item['limit'].verb + item['limit'].uri: item
              for item in limits.status('p1')}
    assert status['GET*']['remaining'] == 0
    assert status['GET*']['next_available'] == pytest.approx(clock.now + 20)
    clock.now += 40
    assert limits.status('p1')[1]['remaining'] == 2


def test_default_limits_are_trove_s(conf):
    assert [(limit.verb, limit.uri, limit.regex, limit.value, limit.unit)
            for limit in ratelimit.default_limits()] == [
        ('POST', '*', '.*', 200, 60), ('PUT', '*', '.*', 200, 60),
        ('DELETE', '*', '.*', 200, 60), ('GET', '*', '.*', 200, 60),
        ('POST', '*/mgmt', '^/mgmt', 200, 60)]


def test_limiters_of_different_processes_share_one_count(clock):
    # Each API worker (or host) has a limiter of its own; the database
    # holds the one count they share.
    first, second = limiter(clock), limiter(clock)
    first.check('p1', 'GET', '/instances')
    second.check('p1', 'GET', '/instances')
    first.check('p1', 'GET', '/instances')
    for each in (first, second):
        with pytest.raises(exceptions.RateLimited):
            each.check('p1', 'GET', '/instances')
    assert [item['remaining'] for item in second.status('p1')] == [2, 0, 1]


def test_a_time_earlier_than_the_stored_one_drains_nothing(clock):
    limits = limiter(clock)
    for _ in range(3):
        limits.check('p1', 'GET', '/instances')
    clock.now -= 30
    with pytest.raises(exceptions.RateLimited) as refused:
        limits.check('p1', 'GET', '/instances')
    assert refused.value.retry_after == 20


def test_drained_buckets_are_forgotten_and_counting_goes_on(clock):
    limits = limiter(clock)
    limits.check('p1', 'GET', '/instances')
    limits.check('p2', 'GET', '/instances')
    clock.now += 15
    limits.check('p2', 'GET', '/instances')
    # p1's bucket (20 s poured 15 s ago) is not empty yet.
    assert limits.forget_drained() == 0
    clock.now += 5
    assert limits.forget_drained() == 1
    for _ in range(3):
        limits.check('p1', 'GET', '/instances')
    with pytest.raises(exceptions.RateLimited):
        limits.check('p1', 'GET', '/instances')


def test_project_ids_longer_than_the_column_count_apart(clock):
    limits = limiter(clock)
    long_a, long_b = 'a' * 300, 'a' * 299 + 'b'
    for _ in range(3):
        limits.check(long_a, 'GET', '/instances')
    with pytest.raises(exceptions.RateLimited):
        limits.check(long_a, 'GET', '/instances')
    limits.check(long_b, 'GET', '/instances')


def gets_remaining(limits, project):
    return limits.status(project)[1]['remaining']


def test_a_busy_project_is_counted_ahead_in_growing_leases(clock):
    limits = limiter(clock, get=1000)
    for _ in range(20):
        limits.check('p1', 'GET', '/instances')
    # Leases of 1, 2, 4, 8, then 16 requests counted in five transactions:
    # the 20th request took the fifth.
    assert gets_remaining(limits, 'p1') == 1000 - 31
    # Another process sees them counted.
    assert gets_remaining(limiter(clock, get=1000), 'p1') == 1000 - 31


def test_processes_together_never_admit_more_than_the_limit(clock):
    first, second = limiter(clock, get=40), limiter(clock, get=40)
    admitted = 0
    for _ in range(100):
        for each in (first, second):
            try:
                each.check('p1', 'GET', '/instances')
                admitted += 1
            except exceptions.RateLimited:
                pass
    # What one process counted ahead, the other could not have: the two
    # admitted exactly the limit between them.
    assert admitted == 40


def test_near_the_limit_each_request_is_counted_alone(clock):
    limits = limiter(clock, get=1000)
    for _ in range(40):
        limits.check('p1', 'GET', '/instances')
    # A lease takes at most a quarter of what is left: with 3 left, one.
    other = limiter(clock, get=4)
    for _ in range(4):
        other.check('p2', 'GET', '/instances')
        assert other._leases['p2', 'GET *'].size == 1


def test_an_expired_lease_admits_nothing_and_is_not_handed_back(clock):
    limits = limiter(clock, get=1000)
    for _ in range(4):
        limits.check('p1', 'GET', '/instances')
    # Leases of 1, 2, 4: the last has 3 requests left.
    assert gets_remaining(limits, 'p1') == 1000 - 7
    clock.now += ratelimit.LEASE_SECONDS
    limits.check('p1', 'GET', '/instances')
    lease = limits._leases['p1', 'GET *']
    # Counted afresh (the 3 left on the old lease were dropped), sized to
    # what the old lease served in its second: the request that took it.
    assert (lease.granted, lease.size, lease.left) == (clock.now, 1, 0)
    # 1 s drained all 7 earlier ones (0.06 s each): 1 counted now.
    assert gets_remaining(limits, 'p1') == 999


def test_a_project_at_a_steady_rate_below_its_limit_is_never_refused(clock):
    # 30 requests a minute against 40, spread over two processes.
    first, second = limiter(clock, get=40), limiter(clock, get=40)
    for index in range(120):
        (first, second)[index % 2].check('p1', 'GET', '/instances')
        clock.now += 2
