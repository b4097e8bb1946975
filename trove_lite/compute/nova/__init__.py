"""The nova compute driver: Nova servers, Cinder volumes and Neutron
security groups, made with trove-lite's service credentials."""
