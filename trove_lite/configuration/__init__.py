"""Configuration groups: named sets of server parameters, checked against
the configuration parameters of their datastore version."""
