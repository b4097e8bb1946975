"""Start, end and error notifications around a block
(common/notifications.py)."""

import pytest

from trove_lite.common import exceptions
from trove_lite.common import notifications


@pytest.fixture
def sent(monkeypatch):
    events = []
    monkeypatch.setattr(
        notifications, 'notify',
        lambda context, publisher, action, phase, payload: events.append(
            (f'{publisher}:{action}.{phase}', payload)))
    return events


PAYLOAD = {'instance_id': 'i'}


def test_start_notification_sends_start_and_no_end(sent):
    with notifications.StartNotification(None, 'api', 'create', PAYLOAD):
        assert sent == [('api:create.start', PAYLOAD)]
    assert sent == [('api:create.start', PAYLOAD)]


def test_start_notification_sends_error_with_the_message_and_reraises(
        sent):
    with pytest.raises(exceptions.ServiceUnavailable):
        with notifications.StartNotification(None, 'api', 'delete',
                                             PAYLOAD):
            raise exceptions.ServiceUnavailable()
    assert [event for event, _ in sent] == ['api:delete.start',
                                            'api:delete.error']
    assert sent[1][1] == dict(
        PAYLOAD, message=str(exceptions.ServiceUnavailable()))


def test_end_notification_sends_only_end_when_the_block_finishes(sent):
    with notifications.EndNotification(None, 'taskmanager', 'restart',
                                       PAYLOAD):
        assert sent == []
    assert sent == [('taskmanager:restart.end', PAYLOAD)]


def test_end_notification_sends_error_instead_when_the_block_raises(sent):
    with pytest.raises(RuntimeError):
        with notifications.EndNotification(None, 'taskmanager', 'restart',
                                           PAYLOAD):
            raise RuntimeError('guest gone')
    assert sent == [('taskmanager:restart.error',
                     dict(PAYLOAD, message='guest gone'))]


def test_action_notification_brackets_the_block(sent):
    with notifications.ActionNotification(None, 'api', 'reset_status',
                                          PAYLOAD):
        pass
    with pytest.raises(ValueError):
        with notifications.ActionNotification(None, 'api', 'reset_status',
                                              PAYLOAD):
            raise ValueError('no')
    assert [event for event, _ in sent] == [
        'api:reset_status.start', 'api:reset_status.end',
        'api:reset_status.start', 'api:reset_status.error']
