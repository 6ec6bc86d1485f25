"""Library: the templates of one project, found by id and loaded on first use."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptlib.config._settings import Settings, load_settings
from promptlib.core._hints import did_you_mean
from promptlib.exceptions import TemplateNotFound, TemplateSecurityError, VersionMismatch
from promptlib.prompts._compiler import TemplateCompiler
from promptlib.prompts._rendered import RenderedPrompt
from promptlib.prompts._templates import PromptTemplate, check_id, load_template

if TYPE_CHECKING:
    from promptlib.client._client import ImagesClient
    from promptlib.client._requests import ImageRequest
    from promptlib.client._results import GenerationResult
    from promptlib.client._streaming import StreamEvent
    from promptlib.deployments._pool import ClientPool
    from promptlib.prompts._bundle import Bundle

TEMPLATE_SUFFIX = ".yaml"


class Library:
    """Every template under the project's prompts/ directory.

    Apps use it to render by name without knowing file paths; the CLI and the
    eval runner use the same object, so they cannot disagree about a template.
    """

    def __init__(self, settings: Settings, *, bundle: Bundle | None = None) -> None:
        self.settings = settings
        self.prompts_dir = settings.prompts_dir
        self.bundle = bundle
        self.compiler = TemplateCompiler(self.prompts_dir)
        self._paths = bundle.paths() if bundle is not None else discover(self.prompts_dir)
        self._loaded: dict[str, PromptTemplate] = {}
        self._clients: ClientPool | None = None
        self._clients_lock = threading.Lock()

    @classmethod
    def load(cls, start: Path | str | None = None) -> Library:
        """The project whose promptlib.yaml is in ``start`` (default: cwd) or above it."""
        return cls(load_settings(start))

    @classmethod
    def from_bundle(cls, path: Path | str, settings: Settings | Path | str | None = None) -> Library:
        """The templates of a bundle written by `promptlib bundle`; never reads prompts/ or runs git.

        The bundle is verified first and refused (BundleError) if modified.
        ``get(id, version=N)`` returns any version the bundle holds. Deployments
        for generate() come from ``settings`` (Settings, or a promptlib.yaml path),
        else promptlib.yaml found from the cwd, else only the built-in ``local`` emulator.
        """
        from promptlib.prompts._bundle import Bundle, bundle_settings

        resolved = bundle_settings(settings)
        return cls(resolved, bundle=Bundle.read(Path(path), resolved.root))

    def __repr__(self) -> str:
        if self.bundle is not None:
            return f"<Library bundle {self.bundle.path} ({len(self._paths)} templates)>"
        return f"<Library {self.settings.root} ({len(self._paths)} templates)>"

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._paths

    def ids(self) -> list[str]:
        """Every template id, sorted."""
        return sorted(self._paths)

    def path_of(self, template_id: str) -> Path:
        check_id(template_id)
        try:
            return self._paths[template_id]
        except KeyError:
            raise TemplateNotFound(_not_found_message(template_id, self._paths)) from None

    def get(self, template_id: str, version: int | None = None) -> PromptTemplate:
        """The template; with ``version``, also assert that this is the version held.

        From a bundle, ``version`` picks that version out of the bundle's history instead.
        """
        if self.bundle is not None:
            return self.bundle.template(template_id, version)
        template = self._loaded.get(template_id)
        if template is None:
            path = self.path_of(template_id)
            template = load_template(template_id, path, self.compiler, self.settings.root)
            self._loaded[template_id] = template
        if version is not None and template.version != version:
            raise VersionMismatch(
                f"{template_id} is version {template.version} here, not {version}; "
                "load a bundle with that version's history or update the caller",
                path=template.path,
            )
        return template

    def templates(self) -> Iterator[PromptTemplate]:
        """Load every template (raises on the first broken one; `check` reports them all)."""
        for template_id in self.ids():
            yield self.get(template_id)

    def render(self, template_id: str, /, **variables: Any) -> RenderedPrompt:
        """Render a template by id with keyword variables."""
        return self.get(template_id).render(variables)

    @property
    def clients(self) -> ClientPool:
        """HTTP clients per deployment, created on first use (and closed by close()). Threads that start together
        must get the same pool: a second one would open connections nothing ever closes."""
        with self._clients_lock:
            if self._clients is None:
                from promptlib.deployments._pool import ClientPool

                self._clients = ClientPool(self.settings)
            return self._clients

    def generate(
        self,
        template_id: str,
        /,
        *,
        deployment: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **variables: Any,
    ) -> GenerationResult:
        """Render and run a template on a named deployment (default: the project's).

        ``parameters`` overrides the template's image parameters for this call (``{"n": 2, "quality": "low"}``).
        """
        client, request = self._request(template_id, variables, deployment, parameters)
        return client.generate(request)

    async def agenerate(
        self,
        template_id: str,
        /,
        *,
        deployment: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **variables: Any,
    ) -> GenerationResult:
        """Async :meth:`generate`; shares the deployment's concurrency limit with sync calls."""
        client, request = self._request(template_id, variables, deployment, parameters)
        return await client.agenerate(request)

    def stream(
        self,
        template_id: str,
        /,
        *,
        partial_images: int = 2,
        deployment: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **variables: Any,
    ) -> Iterator[StreamEvent]:
        """Render and stream a template: ``PartialImage`` events as they arrive, then the ``GenerationResult``.

        The final result is the one :meth:`generate` would return (same request hash and costing).
        ``partial_images`` is 0 to 3; the template must make one image (``n: 1``).
        """
        client, request = self._request(template_id, variables, deployment, parameters)
        return client.stream(request, partial_images)

    async def astream(
        self,
        template_id: str,
        /,
        *,
        partial_images: int = 2,
        deployment: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **variables: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Async :meth:`stream`: ``async for event in lib.astream(...)``."""
        client, request = self._request(template_id, variables, deployment, parameters)
        async for event in client.astream(request, partial_images):
            yield event

    def _request(
        self,
        template_id: str,
        variables: dict[str, Any],
        deployment: str | None,
        parameters: Mapping[str, Any] | None,
    ) -> tuple[ImagesClient, ImageRequest]:
        """Render (with any per-call parameter overrides: part of the request hash) and pick the client."""
        rendered = self.render(template_id, **variables)
        if parameters:
            rendered = rendered.with_parameters(parameters)
        return self.clients.request_for(rendered, deployment)

    def close(self) -> None:
        """Close HTTP connections (sync side); also done by ``with Library.load() as lib``."""
        if self._clients is not None:
            self._clients.close()

    async def aclose(self) -> None:
        if self._clients is not None:
            await self._clients.aclose()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Library:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def discover(prompts_dir: Path) -> dict[str, Path]:
    """Map ids to files; partials and anything that links out of prompts/ are not templates."""
    found: dict[str, Path] = {}
    if not prompts_dir.is_dir():
        return found
    root = prompts_dir.resolve()
    for path in sorted(prompts_dir.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = path.relative_to(prompts_dir)
        if relative.parts[0] == "partials" or not path.is_file():
            continue
        # the walk does not descend into linked directories, so only a file that is itself a link can lead
        # out (and every read checks again, resolving the whole path)
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise TemplateSecurityError("the file is a link that leaves prompts/; copy it in instead", path=path)
        found[relative.with_suffix("").as_posix()] = path
    return found


def _not_found_message(template_id: str, paths: dict[str, Path]) -> str:
    hint = f"; {did_you_mean(template_id, paths) or '`promptlib list` shows the ids'}"
    return f"no template {template_id!r} under prompts/{hint}"
