"""`promptlib emulator serve`: the built-in emulator over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from promptlib.cli._base import cli, echo
from promptlib.exceptions import UsageError

if TYPE_CHECKING:
    pass


@cli.group()
def emulator() -> None:
    """The built-in Azure-compatible image API emulator."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8089, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--api-key",
    envvar="PROMPTLIB_EMULATOR_API_KEY",
    default=None,
    help="Require this key (api-key header or Bearer). Also read from PROMPTLIB_EMULATOR_API_KEY.",
)
@click.option(
    "--variance", default=0.0, show_default=True, type=click.FloatRange(0, 1), help="How much samples differ."
)
@click.option("--seed", type=int, default=None, help="Make the sequence of variants reproducible.")
@click.option("--block", "block", multiple=True, metavar="TERM", help="Refuse prompts containing TERM (repeatable).")
@click.option("--model", default="gpt-image-2", show_default=True,
              help="Model the emulator serves: its sizes, formats, prices (`promptlib models`).")  # fmt: skip
@click.option("--latency-ms", metavar="N|LOW-HIGH", help="Add latency to every request: fixed, or uniform in a range.")
@click.option(
    "--fail-rate",
    metavar="FAULT=RATE,...",
    help="Inject faults by rate: 429, 500, 503, drop, badjson, truncate, slow, filter, garble "
    "(e.g. 429=0.3,500=0.1,drop=0.05).",
)
@click.option("--fault-script", metavar="STEP,...", help="Steps for the first requests in order (e.g. 429,ok,drop).")
@click.option("--retry-after-ms", type=click.IntRange(0), default=1000, show_default=True,
              help="The wait an injected 429 asks for.")  # fmt: skip
@click.option("--slow-ms", type=click.IntRange(0), default=30_000, show_default=True,
              help="How long a slow answer stalls between headers and body.")  # fmt: skip
@click.option("--rpm", type=click.IntRange(1), default=None, help="Enforce requests per minute (1 s/10 s windows).")
def serve(
    host: str,
    port: int,
    api_key: str | None,
    variance: float,
    seed: int | None,
    block: tuple[str, ...],
    model: str,
    latency_ms: str | None,
    fail_rate: str | None,
    fault_script: str | None,
    retry_after_ms: int,
    slow_ms: int,
    rpm: int | None,
) -> None:
    """Serve the emulator over HTTP (Azure URLs, v1 URLs and /v1 OpenAI URLs), faulty on demand."""
    from promptlib.emulator import EmulatorConfig, FaultConfig, parse_fail_rate, parse_latency, parse_script
    from promptlib.emulator import serve as serve_emulator

    def parsed(option: str, spec: str | None, parse: Any, default: Any) -> Any:
        try:
            return default if spec is None else parse(spec)
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None

    faults = FaultConfig(
        latency_ms=parsed("--latency-ms", latency_ms, parse_latency, 0.0),
        fail_rate=parsed("--fail-rate", fail_rate, parse_fail_rate, {}),
        script=parsed("--fault-script", fault_script, parse_script, ()),
        retry_after_ms=retry_after_ms, slow_ms=slow_ms, rpm=rpm,
    )  # fmt: skip

    if api_key:
        from promptlib.core._redact import register_secret

        register_secret(api_key)
    config = EmulatorConfig(api_key=api_key, variance=variance, seed=seed, block=block, model=model, faults=faults)
    auth = "on" if api_key else "off"
    extra = ", faults on" if faults.injects else ""
    extra += f", {rpm} RPM" if rpm else ""
    echo(f"promptlib emulator on http://{host}:{port} (auth {auth}{extra}); Ctrl-C stops it", err=True)
    serve_emulator(config, host=host, port=port)
