"""Sphinx configuration of the trove-lite REST API reference
(``tox -e api-ref``), in the os-api-ref format of OpenStack's API
references (Trove's included)."""

project = 'trove-lite Database API Reference'
copyright = 'trove-lite contributors'

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

master_doc = 'index'
pygments_style = 'native'

html_theme = 'openstackdocs'
html_theme_options = {
    'sidebar_mode': 'toc',
}
openstackdocs_repo_name = 'trove-lite/trove-lite'
openstackdocs_auto_name = False
openstackdocs_use_storyboard = False
