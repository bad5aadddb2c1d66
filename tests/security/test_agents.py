"""An agent sees, filters, writes and deletes only through what it was given.

Issue items 3 (a sensitive primary key leaked through foreign keys to it, and filtering on
them was a guessing oracle) and 12 (deletes cascaded into models the agent was not given,
``ProtectedError`` named them, foreign keys were writable into unexported models).
"""

import json

import pytest

from aksara.ai import AgentToolkit, export_tools, model_context
from aksara.exceptions import PermissionDenied, ProtectedError
from tests.security.models import (
    SecAccount,
    SecApiKey,
    SecAuditEntry,
    SecInvoice,
    SecProject,
    SecUsage,
)


async def test_a_foreign_key_to_a_sensitive_key_is_sensitive_too(db):
    key = await SecApiKey.objects.create(key="sk_live_1234567890", label="production")
    await SecUsage.objects.create(api_key=key, calls=3)
    toolkit = AgentToolkit([SecUsage, SecApiKey])
    listed = await toolkit.call("sec_usage_list", {})
    assert "sk_live" not in repr(listed) and "api_key" not in repr(listed)
    with pytest.raises(PermissionDenied):
        await toolkit.call("sec_usage_list", {"filters": {"api_key": {"in": ["sk_live_1"]}}})
    assert "'api_key'" not in repr(export_tools(SecUsage, SecApiKey))
    context = json.loads(model_context(SecUsage, SecApiKey, format="json"))
    usage = next(m for m in context["models"] if m["name"] == "SecUsage")
    assert [f["name"] for f in usage["fields"]] == ["id", "calls"]


async def test_deletes_that_reach_unexported_models_are_not_offered(db):
    account = await SecAccount.objects.create(name="acme")
    await SecAuditEntry.objects.create(account=account, text="created")
    toolkit = AgentToolkit([SecAccount])
    assert "sec_account_delete" not in toolkit.tools
    with pytest.raises(PermissionDenied):
        await toolkit.call("sec_account_delete", {"id": str(account.id)})
    assert await SecAuditEntry.objects.count() == 1
    # Exported together, the agent sees what the delete takes with it: it is offered.
    both = AgentToolkit([SecAccount, SecAuditEntry])
    assert (await both.call("sec_account_delete", {"id": str(account.id)}))["deleted"]
    assert await SecAuditEntry.objects.count() == 0


async def test_a_protected_error_names_only_exported_models(db):
    project = await SecProject.objects.create(name="apollo")
    await SecInvoice.objects.create(project=project)
    toolkit = AgentToolkit([SecProject])
    with pytest.raises(ProtectedError) as info:
        await toolkit.call("sec_project_delete", {"id": str(project.id)})
    assert "SecInvoice" not in str(info.value) and "another model" in str(info.value)


async def test_foreign_keys_are_writable_only_into_exported_models(db):
    account = await SecAccount.objects.create(name="acme")
    alone = AgentToolkit([SecAuditEntry])
    with pytest.raises(PermissionDenied):
        await alone.call(
            "sec_audit_entry_create", {"data": {"account": str(account.id), "text": "x"}}
        )
    both = AgentToolkit([SecAuditEntry, SecAccount])
    created = await both.call(
        "sec_audit_entry_create", {"data": {"account": str(account.id), "text": "x"}}
    )
    assert created["account"] == str(account.id)
