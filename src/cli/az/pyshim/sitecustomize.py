# Cove's opt-in compatibility shim for Debian 12's azure-cli 2.45 (docs/az.md, "The shim").
#
# Loaded only by az runs that `cove az --shim` (or a set-up saved with --shim) starts, through
# PYTHONPATH; nothing on the machine is changed. It mends two packaging mismatches between
# azure-cli 2.45 and Debian's python3-azure, both inside az before any request is sent:
#
# 1. az's "latest" profile pins Microsoft.Network to api-version 2022-01-01, which Debian's
#    azure-mgmt-network 23.0.0b1 does not ship (it has 2021-08-01 and 2022-07-01). Every network
#    command then fails while loading its arguments ("'NoneType' object has no attribute
#    'standard_medium'") or its client ("'private_endpoints' is not available in API version
#    2022-01-01"). The pin becomes 2022-07-01, the version the next azure-cli releases pinned.
#    That package keeps 2022-07-01's operation groups at its top (azure.mgmt.network.operations)
#    and only the models under v2022_07_01, so the commands az loads by versioned path (`network
#    nic show`: "No module named 'azure.mgmt.network.v2022_07_01.operations'") get that module.
# 2. az's role module reads `client.config.subscription_id` from an operation group, the attribute
#    of the older azure-mgmt-authorization it was written for; Debian ships 3.0.0, whose operation
#    groups keep it as `_config` ("'RoleAssignmentsOperations' object has no attribute 'config'").
#    Each operation group the client hands out gets `config` pointing at its `_config`.
#
# Both are applied when az imports the module concerned (a meta path finder), so an az command
# that never loads them pays nothing. Any failure leaves az as it was. Afterwards the next
# sitecustomize on the path (Debian's, which installs the apport hook) is run, as it would have
# been without this file.
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

NETWORK_API_VERSION = '2022-07-01'


def _pin_network(mod):
    profile = mod.AZURE_API_PROFILES['latest']
    profile[mod.ResourceType.MGMT_NETWORK] = NETWORK_API_VERSION


def _with_config(getter):
    def get(self):
        ops = getter(self)
        if not hasattr(ops, 'config') and hasattr(ops, '_config'):
            ops.config = ops._config
        return ops
    return get


def _restore_config(mod):
    cls = mod.AuthorizationManagementClient
    for name, attr in list(vars(cls).items()):
        if isinstance(attr, property) and attr.fget is not None and not name.startswith('_'):
            setattr(cls, name, property(_with_config(attr.fget), doc=attr.__doc__))


FIXES = {
    'azure.cli.core.profiles._shared': _pin_network,
    'azure.mgmt.authorization._authorization_management_client': _restore_config,
}


class _Loader(importlib.abc.Loader):
    def __init__(self, inner, fix):
        self._inner = inner
        self._fix = fix

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        try:
            self._fix(module)
        except Exception:  # a changed az or SDK: leave it as it is
            pass


# Modules Debian's python3-azure keeps under another name: the versioned path -> where it is.
ALIASES = {
    'azure.mgmt.network.v%s.operations' % NETWORK_API_VERSION.replace('-', '_'): 'azure.mgmt.network.operations',
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target):
        self._target = target

    def create_module(self, spec):
        return importlib.import_module(self._target)

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        alias = ALIASES.get(name)
        if alias is not None:
            if importlib.machinery.PathFinder.find_spec(name, path) is not None:
                return None  # a package that has it: nothing to mend
            return importlib.machinery.ModuleSpec(name, _Alias(alias))
        fix = FIXES.get(name)
        if fix is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Loader(spec.loader, fix)
        return spec


sys.meta_path.insert(0, _Finder())


def _run_next_sitecustomize():
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


try:
    _run_next_sitecustomize()
except Exception:
    pass
