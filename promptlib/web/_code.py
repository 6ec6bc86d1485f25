"""View code: what is on screen as app code, a CLI command and a REST call, with placeholders for every secret.

Endpoints written as `${env:NAME}` stay placeholders and keys are always `${AZURE_OPENAI_API_KEY}`-style
references to the variable the deployment names: nothing resolved from the environment reaches the page.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

from promptlib.core._safe_text import shell_command

if TYPE_CHECKING:
    from promptlib.web._app import WebContext
    from promptlib.web._play_state import Outcome, PlayState


def code_for(web: WebContext, state: PlayState, outcome: Outcome) -> dict[str, str]:
    """`python`, `cli` and `curl` snippets for the rendered state ({} when it does not render)."""
    rendered = outcome.rendered
    if rendered is None:
        return {}
    settings = web.library.settings
    name = state.deployment or settings.config.default_deployment
    values = {k: v for k, v in rendered.variables.items() if not isinstance(v, bytes)}
    overrides = {k: v for k, v in rendered.parameters.to_wire().items() if state.parameters.get(k) is not None}
    args = [repr(rendered.template_id), f"deployment={name!r}"]
    if overrides:
        args.append(f"parameters={overrides!r}")
    args += [f"{key}={value!r}" for key, value in values.items() if key.isidentifier()]
    python = "import promptlib\n\nlib = promptlib.Library.load()\nresult = lib.generate(\n    " + ",\n    ".join(args)
    python += ',\n)\nresult.images[0].save("out.png")\n'
    words = ["promptlib", "generate", rendered.template_id, "--deployment", name]
    for key, value in values.items():
        words += ["--var", f"{key}={value if not isinstance(value, list) else json.dumps(value)}"]
    cli = shell_command(*words) + " --out out"
    return {"python": python, "cli": cli, "curl": _curl(web, name, rendered.prompt, rendered.parameters.to_wire())}


def _curl(web: WebContext, name: str, prompt: str, parameters: dict[str, Any]) -> str:
    config = web.library.settings.deployment(name)
    body = json.dumps({"prompt": prompt, **parameters}, ensure_ascii=False)
    if config.kind == "azure-openai":
        endpoint = config.endpoint if not config.endpoint.startswith("${env:") else "${" + config.endpoint[6:]
        key = getattr(config.auth, "env", None)
        header = f"api-key: ${{{key}}}" if key else "Authorization: Bearer $(az account get-access-token "
        header += "" if key else "--resource https://cognitiveservices.azure.com --query accessToken -o tsv)"
        if config.api_style == "v1":
            url = f"{endpoint.rstrip('/')}/openai/v1/images/generations"
            body = json.dumps({"model": config.deployment, "prompt": prompt, **parameters}, ensure_ascii=False)
        else:
            url = f"{endpoint.rstrip('/')}/openai/deployments/{config.deployment}/images/generations"
            url += f"?api-version={config.api_version}"
    elif config.kind == "openai":
        url = f"{config.base_url.rstrip('/')}/images/generations"
        header = f"Authorization: Bearer ${{{config.auth.env}}}"
        body = json.dumps({"model": config.model, "prompt": prompt, **parameters}, ensure_ascii=False)
    else:  # the emulator, served by `promptlib emulator serve`
        url = "http://127.0.0.1:8089/openai/deployments/emulator/images/generations?api-version=2025-04-01-preview"
        header = "api-key: ${PROMPTLIB_EMULATOR_API_KEY}"
    return (
        f'curl -sS "{url}" \\\n  -H "{header}" \\\n  -H "Content-Type: application/json" \\\n  -d {shlex.quote(body)}'
    )
