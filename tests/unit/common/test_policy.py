"""Policy: Trove's rule names and defaults, decisions for owners, other
projects and admins, policy.yaml overrides, and the generated sample."""

import inspect
import json
import os
import subprocess
import sys

import pytest
from oslo_policy import _checks

from trove_lite.common import context as trove_context
from trove_lite.common import exceptions
from trove_lite.common import policies
from trove_lite.common import policy
from trove_lite.common import policy_checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

ADMIN_ONLY = {'instance:reset_status': 'rule:admin',
              'datastore:delete': 'rule:admin',
              'cluster:reset-status': 'rule:admin',
              'backup:index:all_projects': 'role:admin'}
OPEN = {'flavor:index', 'flavor:show', 'datastore:index', 'datastore:show',
        'datastore:version_show', 'datastore:version_show_by_uuid',
        'datastore:version_index', 'datastore:list_associated_flavors',
        'datastore:list_associated_volume_types'}
BASE = {'context_is_admin': 'role:admin',
        'admin': 'role:admin or is_admin:True',
        'admin_or_owner': 'rule:admin or project_id:%(tenant)s',
        'default': 'rule:admin_or_owner'}
# Rules the API of today enforces (see README "Policy").
ENFORCED = {'instance:index', 'instance:detail', 'instance:show',
            'instance:create', 'instance:delete',
            'instance:extension:database:create',
            'instance:extension:user:create', 'limits:index'} | {
    rule for rule in OPEN if not rule.startswith('datastore:list')}


def member(project='p1'):
    return trove_context.RequestContext(project_id=project,
                                        roles=['member'])


def admin(project='admin'):
    context = trove_context.RequestContext(project_id=project,
                                           roles=['admin', 'member'])
    context.is_admin = policy.check_is_admin(context)
    return context


def test_every_rule_has_trove_default():
    defaults = {rule.name: rule.check_str
                for rule in policies.list_rules()}
    assert len(defaults) == len(policies.list_rules()) == 88
    for name, check in defaults.items():
        if name in BASE:
            assert check == BASE[name]
        elif name in ADMIN_ONLY:
            assert check == ADMIN_ONLY[name]
        elif name in OPEN:
            assert check == ''
        else:
            assert check == 'rule:admin_or_owner', name
    assert ENFORCED <= set(defaults)


def test_owners_may_act_on_their_objects_only(conf):
    policy.authorize(member('p1'), 'instance:show', {'tenant': 'p1'})
    policy.authorize(member('p1'), 'instance:create')
    with pytest.raises(exceptions.PolicyNotAuthorized) as error:
        policy.authorize(member('p1'), 'instance:delete', {'tenant': 'p2'})
    assert str(error.value) == (
        "Policy doesn't allow instance:delete to be performed.")
    assert error.value.code == 403


def test_admin_only_rules_refuse_members_and_allow_admins(conf):
    for rule in ADMIN_ONLY:
        with pytest.raises(exceptions.PolicyNotAuthorized):
            policy.authorize(member('p1'), rule, {'tenant': 'p1'})
        policy.authorize(admin(), rule, {'tenant': 'p1'})


def test_admins_reach_every_project(conf):
    policy.authorize(admin(), 'instance:delete', {'tenant': 'p2'})
    assert policy.check_is_admin(admin())
    assert not policy.check_is_admin(member())


def test_unknown_rule_is_a_bug_not_a_silent_allow(conf):
    from oslo_policy import policy as oslo_policy
    with pytest.raises(oslo_policy.PolicyNotRegistered):
        policy.authorize(member(), 'instance:nosuch')


def test_policy_file_overrides_defaults(conf, tmp_path):
    path = tmp_path / 'policy.yaml'
    path.write_text(json.dumps({'instance:index': 'role:admin',
                                'context_is_admin': 'role:superuser'}))
    conf.config(policy_file=str(path), group='oslo_policy')
    policy.reset()
    with pytest.raises(exceptions.PolicyNotAuthorized):
        policy.authorize(member(), 'instance:index')
    superuser = trove_context.RequestContext(project_id='x',
                                             roles=['superuser'])
    assert policy.check_is_admin(superuser)
    assert not policy.check_is_admin(admin())


def test_committed_sample_policy_is_what_the_generator_writes(tmp_path):
    output = tmp_path / 'policy.yaml.sample'
    generator = os.path.join(os.path.dirname(sys.executable),
                             'oslopolicy-sample-generator')
    subprocess.run([generator, '--namespace', 'trove_lite',
                    '--output-file', str(output)], check=True,
                   capture_output=True)
    with open(os.path.join(ROOT, 'etc', 'trove-lite',
                           'policy.yaml.sample')) as committed:
        assert output.read_text() == committed.read(), (
            'regenerate it: tox -e genpolicy')


def test_changed_policy_file_applies_after_the_reload_interval(
        conf, tmp_path, monkeypatch):
    path = tmp_path / 'policy.yaml'
    path.write_text('{}')
    conf.config(policy_file=str(path), group='oslo_policy')
    monkeypatch.setattr(policy, 'RELOAD_INTERVAL', 3600)
    policy.authorize(member(), 'instance:index')
    path.write_text('"instance:index": "!"\n')
    policy.authorize(member(), 'instance:index')  # not looked at yet
    monkeypatch.setattr(policy, 'RELOAD_INTERVAL', 0)
    with pytest.raises(exceptions.PolicyNotAuthorized):
        policy.authorize(member(), 'instance:index')


def test_argspec_cache_keeps_every_decision(conf, monkeypatch):
    contexts = [member('p1'), member('p2'), admin()]
    targets = [{'tenant': 'p1'}, {'tenant': 'p2'}]

    def decisions():
        return [policy.get_enforcer().authorize(rule.name, target, context)
                for rule in policies.list_rules() for target in targets
                for context in contexts]
    cached = decisions()
    monkeypatch.setattr(_checks, 'inspect', inspect)
    assert decisions() == cached
    assert cached.count(True) > 0 and cached.count(False) > 0


@pytest.mark.parametrize('rule', [
    'project_id:%(tenant)s', 'is_admin:True', "'member':%(role)s",
    'True:%(enabled)s', 'None:None', 'user.domain:%(domain)s',
    'roles:member', 'project_id:%(missing)s', 'not a literal:x'])
def test_generic_checks_decide_as_oslo_policys(rule):
    kind, match = rule.split(':', 1)
    target = {'tenant': 'p1', 'role': 'member', 'enabled': 'True',
              'domain': 'd1'}
    credentials = [
        {'project_id': 'p1', 'is_admin': True, 'user': {'domain': 'd1'},
         'roles': ['reader', 'member']},
        {'project_id': 'p2', 'is_admin': False, 'user': {'domain': 'd2'},
         'roles': ['reader']},
        {}]

    def decide(check_class):
        check = check_class(kind, match)
        decisions = []
        for creds in credentials:
            try:
                decisions.append(check(target, creds, None))
            except SyntaxError:
                decisions.append(SyntaxError)
        return decisions

    assert decide(policy_checks.GenericCheck) == decide(
        _checks.GenericCheck)


def test_the_rules_are_parsed_with_trove_lites_generic_check(conf):
    default = {rule.name: rule for rule in policies.list_rules()}[
        'admin_or_owner']
    kinds = {type(check) for check in default.check.rules}
    assert policy_checks.GenericCheck in kinds, kinds
    assert policy.authorize(member('p1'), 'instance:index',
                            {'tenant': 'p1'}) is None
    with pytest.raises(exceptions.PolicyNotAuthorized):
        policy.authorize(member('p1'), 'instance:index', {'tenant': 'p2'})
