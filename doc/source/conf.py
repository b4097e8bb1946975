"""Sphinx configuration of the trove-lite documentation (``tox -e docs``).

The configuration reference, the policy reference and the CLI reference
are generated from the code (oslo.config options, oslo.policy rules, the
cliff commands), so they cannot drift from what the services and the
command line do.
"""

import importlib.metadata
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

project = 'trove-lite'
copyright = 'trove-lite contributors'

extensions = [
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
    'cliff.sphinxext',
]

# The sample files offered for download, generated at build time from the
# same generator configs as `tox -e genconfig` and `tox -e genpolicy`.
config_generator_config_file = os.path.join(
    ROOT, 'etc', 'oslo-config-generator', 'trove-lite.conf')
sample_config_basename = '_static/trove-lite'
policy_generator_config_file = os.path.join(
    ROOT, 'etc', 'oslo-policy-generator', 'trove-lite.conf')
sample_policy_basename = '_static/trove-lite'

# cliff.sphinxext: commands of the `trove-lite` entry point namespace.
autoprogram_cliff_application = 'trove-lite'

master_doc = 'index'
pygments_style = 'native'

html_static_path = ['_static']
html_theme = 'openstackdocs'
# The theme without docs.openstack.org's site: no analytics, no badge
# fetched from there, and the header, footer and menus of _templates/.
templates_path = ['_templates']
html_theme_options = {
    'analytics_tracking_code': '',
    'display_badge': False,
    'root_title': 'trove-lite',
    'sidebar_search': True,
}
openstackdocs_repo_name = 'trove-lite/trove-lite'
openstackdocs_auto_name = False
# The installed package's version, not one computed from git tags.
openstackdocs_auto_version = False
version = release = importlib.metadata.version('trove-lite')
openstackdocs_use_storyboard = False
