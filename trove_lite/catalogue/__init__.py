"""The catalogue: datastores, their versions and their configuration
parameters, and flavors."""
