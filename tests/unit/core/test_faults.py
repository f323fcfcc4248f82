"""Fault hooks: none unless settings name one; a named one is built from its params."""

from __future__ import annotations

import pytest

from tests.support.faults import CrashAfterBatch, CrashBeforeCommit, fault_settings
from trendstream.core.faults import NO_FAULTS, load_hook
from trendstream.core.settings import FaultSettings, Settings


def test_no_hook_named_means_the_no_op_hook() -> None:
    hook = load_hook(FaultSettings())
    assert hook is NO_FAULTS
    hook.before_commit(1, lambda: None)  # every point is callable and does nothing
    hook.after_batch(0)


def test_the_named_factory_is_built_with_its_params() -> None:
    settings = fault_settings(Settings(), CrashBeforeCommit, commit=3)
    hook = load_hook(settings.faults)
    assert isinstance(hook, CrashBeforeCommit) and hook.commit == 3
    hook.before_commit(2, lambda: None)  # not its commit: the process lives on
    hook.after_batch(3)


def test_the_hook_reaches_a_child_through_its_environment(monkeypatch) -> None:
    for name, value in fault_settings(Settings(), CrashAfterBatch, batch=1).env().items():
        monkeypatch.setenv(name, value)
    hook = load_hook(Settings().faults)
    assert isinstance(hook, CrashAfterBatch) and hook.batch == 1


@pytest.mark.parametrize("spec", ["tests.support.faults", ":CrashAfterBatch", "x:"])
def test_a_hook_not_of_the_form_module_factory_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="module:factory"):
        load_hook(FaultSettings(hook=spec))
