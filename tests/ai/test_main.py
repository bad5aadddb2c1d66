import json

import pytest

from aksara.ai import export_tools, model_context
from aksara.ai.__main__ import load_models, main
from aksara.exceptions import ConfigurationError
from tests.ai import models
from tests.ai.models import AiCustomer, AiProduct


def test_load_models_takes_modules_and_single_models():
    assert load_models(["tests.ai.models:AiCustomer"]) == [AiCustomer]
    found = load_models(["tests.ai.models"])
    assert AiProduct in found
    assert all(model.__module__ == models.__name__ for model in found)
    with pytest.raises(ConfigurationError):
        load_models(["tests.ai.models:AiProductStatus"])
    with pytest.raises(ConfigurationError):
        load_models(["json"])


def test_context_command_prints_the_model_context(capsys):
    assert main(["context", "tests.ai.models:AiCustomer"]) == 0
    assert capsys.readouterr().out == model_context(AiCustomer)

    assert main(["context", "tests.ai.models:AiCustomer", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"][0]["name"] == "AiCustomer"


def test_tools_command_prints_the_tool_definitions(capsys):
    argv = ["tools", "tests.ai.models:AiProduct", "--format", "openai", "--actions", "list,get"]

    assert main(argv) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed == export_tools(AiProduct, format="openai", actions=("list", "get"))
