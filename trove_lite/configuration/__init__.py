"""Configuration groups: named sets of server parameters, checked against
the parameter catalogue of their datastore version."""
