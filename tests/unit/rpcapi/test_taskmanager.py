"""What the taskmanager's client casts: the wire names of the arguments,
whatever the order of the Python ones."""

from trove_lite.rpcapi import taskmanager as rpcapi


def test_resize_casts_keep_their_wire_arguments(monkeypatch):
    sent = []
    monkeypatch.setattr(rpcapi.API, '_cast', lambda self, context, method,
                        **kwargs: sent.append((method, kwargs)))
    client = rpcapi.API()
    client.resize_volume(None, 'instance-1', 3)
    client.resize_flavor(None, 'instance-1', {'id': '1'}, {'id': '2'})
    assert sent == [
        ('resize_volume', {'instance_id': 'instance-1', 'new_size': 3}),
        ('resize_flavor', {'instance_id': 'instance-1',
                           'old_flavor': {'id': '1'},
                           'new_flavor': {'id': '2'}})]
