"""The client side of each RPC service (conductor, guest agent,
taskmanager): what a caller casts or calls, and on which topic.

They live below every service, not in the service they reach, because
the services call each other in a ring (guest agent -> conductor ->
taskmanager -> guest agent); here no service package imports another's
package to talk to it. The server side of each is its ``manager``."""
