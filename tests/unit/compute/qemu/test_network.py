"""What a qemu guest may reach: the broker through forwards, and its
datastore port from the server's own address."""

from trove_lite.compute.qemu import network


def test_guest_url_names_the_forwarded_broker_with_the_same_credentials(
        conf):
    conf.config(transport_url='rabbit://tl%40user:p%3Ass@127.0.0.1:5673/'
                              'tl-vhost?ssl=1')

    assert network.guest_transport_url() == (
        'rabbit://tl%40user:p%3Ass@10.0.2.100:5673/tl-vhost?ssl=1')


def test_each_broker_host_gets_a_forwarded_address_of_its_own(conf):
    conf.config(transport_url='rabbit://u:p@rabbit-a:5672,u:p@rabbit-b/v')

    assert network.broker_forwards() == [('10.0.2.100', 5672, 'rabbit-a'),
                                         ('10.0.2.101', 5672, 'rabbit-b')]
    assert network.guest_transport_url() == (
        'rabbit://u:p@10.0.2.100:5672,u:p@10.0.2.101:5672/v')


def test_the_network_is_restricted_to_the_forwards(conf):
    conf.config(transport_url='rabbit://u:p@127.0.0.1:5672/v')

    options = network.netdev('127.0.3.7', 3306).split(',')

    assert options[:3] == ['user', 'id=net0', 'restrict=on']
    assert 'hostfwd=tcp:127.0.3.7:3306-:3306' in options
    assert [o for o in options if o.startswith('guestfwd')] == [
        'guestfwd=tcp:10.0.2.100:5672-cmd:socat - TCP:127.0.0.1:5672']
