"""Sphinx configuration of the trove-lite release notes
(``tox -e releasenotes``). reno reads the notes in releasenotes/notes/
from git history."""

project = 'trove-lite Release Notes'
copyright = 'trove-lite contributors'

extensions = [
    'reno.sphinxext',
    'openstackdocstheme',
]

master_doc = 'index'
pygments_style = 'native'
html_static_path = ['_static']

html_theme = 'openstackdocs'
# The theme without docs.openstack.org's site: no analytics, no badge
# fetched from there, and the header, footer and menus of _templates/.
templates_path = ['../../doc/source/_templates']
html_theme_options = {
    'analytics_tracking_code': '',
    'display_badge': False,
    'root_title': 'trove-lite',
    'sidebar_search': True,
}
openstackdocs_repo_name = 'trove-lite/trove-lite'
openstackdocs_auto_name = False
# One unversioned page set (no version computed from git tags).
openstackdocs_auto_version = False
version = release = ''
openstackdocs_use_storyboard = False
