"""Records: the plain values the repositories return and every service
passes around (an instance, its statuses, a backup, a configuration
group, the catalogue's entries). They import nothing of trove-lite's, so
the guest agent, the database code and the services above all share
them."""
