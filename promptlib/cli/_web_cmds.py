"""`promptlib playground`: the local web app on this project."""

from __future__ import annotations

import click

from promptlib.cli._base import State, cli, echo, pass_state


@cli.command()
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; anything but loopback needs --token.")  # fmt: skip
@click.option("--token", envvar="PROMPTLIB_PLAYGROUND_TOKEN", default=None, metavar="TOKEN",
    help="Secret the browser must present (URL ?token=, then a cookie); or PROMPTLIB_PLAYGROUND_TOKEN.")  # fmt: skip
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Another Host name the server answers to (e.g. the machine's DNS name; repeatable).")  # fmt: skip
@click.option("--budget", type=click.FloatRange(0), default=1.0, show_default=True, metavar="USD",
              help="What generations on billed deployments may cost while the server runs.")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@pass_state
def playground(
    state: State,
    port: int,
    host: str,
    token: str | None,
    allow_hosts: tuple[str, ...],
    budget: float,
    no_browser: bool,
) -> None:
    """Try templates in the browser: render as you type, generate, compare, save as a new version."""
    from promptlib.web import access_policy, create_app
    from promptlib.web._server import serve

    policy = access_policy(host, port, token, allow_hosts)  # refuses a non-loopback bind without a token
    app = create_app(state.library.settings.root, policy=policy, library=state.library, budget_usd=budget)

    def ready(bound: int) -> None:
        url = access_policy(host, bound, token, allow_hosts).url()
        echo(f"promptlib playground on {state.library.settings.root}: {url}  (Ctrl-C stops it)")
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    serve(app, host, port, ready)
