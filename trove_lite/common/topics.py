"""The RPC topic of an instance's guest agent: one place for the name the
control plane casts to, the broker's permissions allow, and the agent
serves."""


def guest_topic(instance_id):
    return f'guestagent.{instance_id}'
