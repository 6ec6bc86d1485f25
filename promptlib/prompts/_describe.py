"""Human and JSON descriptions of a template, for ``promptlib show``."""

from __future__ import annotations

from typing import Any

from promptlib.prompts._templates import PromptTemplate


def template_summary(template: PromptTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "version": template.version,
        "path": template.path.as_posix(),
        "content_hash": template.content_hash,
        "description": template.description,
        "owners": list(template.spec.owners),
        "operation": template.operation,
        "deployment": template.deployment,
        "variables": {
            name: spec.model_dump(exclude_none=True) | {"required": spec.is_required}
            for name, spec in template.variables.items()
        },
        "parameters": template.parameters.to_wire(),
        "partials": template.partials,
        "examples": [e.model_dump() for e in template.examples],
    }


def _spec_line(name: str, spec: Any) -> str:
    details = spec.model_dump(exclude_none=True, exclude={"type", "description", "required"})
    rules = ", ".join(f"{k}={v}" for k, v in details.items())
    need = "required" if spec.is_required else "optional"
    line = f"  {name:<16} {spec.type:<8} {need:<9} {rules}".rstrip()
    return f"{line}\n  {'':<16} {spec.description}" if spec.description else line


def describe_template(template: PromptTemplate) -> str:
    s = template_summary(template)
    lines = [
        f"{s['id']}  v{s['version']}  ({s['operation']})",
        f"  {s['description']}" if s["description"] else "",
        f"file:        {s['path']}",
        f"content:     sha256:{s['content_hash'][:16]}",
        f"owners:      {', '.join(s['owners']) or '-'}",
        f"deployment:  {s['deployment'] or '(project default)'}",
        "parameters:  " + (", ".join(f"{k}={v}" for k, v in s["parameters"].items()) or "(service defaults)"),
        f"partials:    {', '.join(s['partials']) or '-'}",
        "variables:",
        *(_spec_line(name, spec) for name, spec in template.variables.items()),
    ]
    if template.examples:
        lines.append("examples:")
        for example in template.examples:
            values = ", ".join(f"{k}={v!r}" for k, v in example.variables.items())
            lines.append(f"  {example.name:<16} {values}")
    return "\n".join(line for line in lines if line != "")
