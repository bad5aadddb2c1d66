"""``python -m aksara.ai``: serve models over MCP (stdio), or print their context or tools.

```
python -m aksara.ai serve myapp.models                 every model defined in myapp.models
python -m aksara.ai serve myapp.models:Product --actions list,get
python -m aksara.ai context myapp.models [--format json]
python -m aksara.ai tools myapp.models:Product [--format openai]
```
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Sequence

from aksara.ai.context import model_context
from aksara.ai.mcp import serve_stdio
from aksara.ai.tool_definitions import ACTIONS, MAX_PAGE_SIZE, export_tools
from aksara.exceptions import ConfigurationError
from aksara.models.base import Model


def load_models(targets: Sequence[str]) -> list[type[Model]]:
    """``"pkg.module"`` → every concrete model defined there; ``"pkg.module:Name"`` → one."""
    models: list[type[Model]] = []
    for target in targets:
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        if attribute:
            model = getattr(module, attribute, None)
            if not (isinstance(model, type) and issubclass(model, Model)):
                raise ConfigurationError(f"{target} is not a model")
            models.append(model)
            continue
        found = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Model)
            and value is not Model
            and value.__module__ == module.__name__
            and not value._meta.abstract
        ]
        if not found:
            raise ConfigurationError(f"{module_name} defines no models")
        models.extend(found)
    return models


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aksara.ai", description=(__doc__ or "").split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the models' tools over MCP on stdio")
    context = commands.add_parser("context", help="print the model context")
    tools = commands.add_parser("tools", help="print the tool definitions")
    for sub in (serve, context, tools):
        sub.add_argument("targets", nargs="+", metavar="MODULE[:MODEL]")
    for sub in (serve, tools):
        sub.add_argument(
            "--actions", default=",".join(ACTIONS), help="comma-separated tool actions"
        )
        sub.add_argument("--max-page-size", type=int, default=MAX_PAGE_SIZE)
    serve.add_argument("--name", default="aksara", help="the MCP server name")
    context.add_argument("--format", choices=("markdown", "json"), default="markdown")
    tools.add_argument("--format", choices=("mcp", "openai", "json"), default="mcp")
    args = parser.parse_args(argv)

    models = load_models(args.targets)
    if args.command == "context":
        sys.stdout.write(model_context(*models, format=args.format))
        return 0
    actions = [a.strip() for a in args.actions.split(",") if a.strip()]
    if args.command == "tools":
        exported = export_tools(
            *models, format=args.format, actions=actions, max_page_size=args.max_page_size
        )
        print(json.dumps(exported, indent=2, ensure_ascii=False))
        return 0
    asyncio.run(
        serve_stdio(models, name=args.name, actions=actions, max_page_size=args.max_page_size)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
