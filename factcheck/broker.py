"""
kombu's Redis transport, with one change: a channel of a closed connection
fails as a lost connection does.

When Redis goes away, the worker closes its connection and opens a new one,
and kombu's transport forgets the broker's address on closing. A channel of
the old connection still has work to do: giving back the messages it had
delivered but not acknowledged (a capture running, a countdown waiting), and
acknowledging the tasks that ran meanwhile. Each needs the address, and
raised AttributeError, which stopped the worker ("Unrecoverable error")
instead of letting it reconnect. Raised as a ConnectionError, it is logged and
the worker goes on: a message not acknowledged is delivered again after the
visibility timeout, and its job is safe to run twice.
"""

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.ConnectionError("This broker connection was closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
