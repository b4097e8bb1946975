"""Loopback address pools of the local driver."""

import socket

import pytest

from trove_lite.compute.local import addresses


def test_pool_never_hands_out_127_0_0_1():
    hosts = list(addresses.pool_hosts(['127.0.0.0/30']))
    assert hosts == ['127.0.0.2']


def test_non_loopback_pool_is_refused():
    with pytest.raises(ValueError):
        list(addresses.pool_hosts(['10.0.0.0/30']))


def test_taken_and_listening_addresses_are_skipped():
    with socket.socket() as listener:
        listener.bind(('127.0.9.2', 0))
        listener.listen()
        port = listener.getsockname()[1]
        chosen = addresses.pick_free(['127.0.9.0/29'], {'127.0.9.1'}, port)
    assert chosen == '127.0.9.3'


def test_exhausted_pool_gives_none():
    assert addresses.pick_free(['127.0.9.0/30'],
                               {'127.0.9.1', '127.0.9.2'}, 3306) is None
