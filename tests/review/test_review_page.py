"""The Review page over HTTP: the queue puts the failed cases first with their prompt diff, decisions run the
library's approve/reject code, say what they wrote and update the queue, and a doctored run is refused exactly as
`approve` refuses it."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

from e2e.helpers import by_key, latest_results, latest_run, manifest, promptlib
from PIL import Image
from starlette.testclient import TestClient

from .helpers import PADLOCK, PLANE

HTMX = {"hx-request": "true"}


def goldens(root: Path) -> dict[str, str]:
    base = root / "evals" / "goldens"
    return {p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in base.rglob("*.*")}


def queue_keys(page: str) -> list[str]:
    return re.findall(r'class="q-item[^"]*"[^>]*data-key="([^"]+)"', page)


def test_the_queue_shows_failed_cases_first_and_the_first_one_open(review_client: TestClient) -> None:
    page = review_client.get("/review")
    assert page.status_code == 200
    assert queue_keys(page.text) == [PADLOCK, PLANE]  # passes are one click away
    assert 'aria-current="true"' in page.text.split(f'data-key="{PADLOCK}"')[1].split(">")[0]
    assert "failed: only 0 of 3 samples match the goldens; changed since approval: v1 → v2" in page.text
    assert "Changed since approval: v1 → v2" in page.text and "<ins>glossy</ins>" in page.text
    assert "goldens were approved under icons/feature-icon v1; the template is now v2" in page.text
    every = review_client.get("/review?passed=1")
    assert len(queue_keys(every.text)) == 6


def test_an_htmx_request_gets_the_workspace_only(review_client: TestClient) -> None:
    fragment = review_client.get(f"/review?case={PLANE}", headers=HTMX)
    assert fragment.text.startswith('<div id="review"') and "<html" not in fragment.text
    assert f'data-selected="{PLANE}"' in fragment.text


def test_approving_writes_the_goldens_lists_the_files_and_moves_on(review_client: TestClient, regressed: Path) -> None:
    before = goldens(regressed)
    answer = review_client.post("/review/approve", data={"key": PADLOCK, "sample": ["0", "1", "2"]}, headers=HTMX)
    assert answer.status_code == 200, answer.text
    assert f"{PADLOCK} approved: 3 golden(s), sensitivity" in answer.text
    assert f"<code>evals/goldens/{PADLOCK}/case.json</code> changed" in answer.text
    assert f'data-selected="{PLANE}"' in answer.text  # on to the next case
    assert re.search(rf'data-key="{PADLOCK}".*?<span class="decided">approved: 3 golden\(s\)</span>', answer.text)
    assert goldens(regressed) != before
    assert manifest(regressed, PADLOCK)["template"]["version"] == 2
    assert promptlib(regressed, "eval", PADLOCK).exit_code == 0


def test_what_if_shows_the_calibration_without_writing(review_client: TestClient, regressed: Path) -> None:
    before = goldens(regressed)
    answer = review_client.get(f"/review/whatif?key={PLANE}&sample=0&sample=1&add=on", headers=HTMX)
    assert answer.status_code == 200, answer.text
    assert "3 → 5 golden(s) (added)" in answer.text and "Nothing has been written." in answer.text
    assert goldens(regressed) == before


def test_reject_needs_a_reason_then_records_it(review_client: TestClient, regressed: Path) -> None:
    refused = review_client.post("/review/reject", data={"key": PLANE, "sample": "1", "reason": " "}, headers=HTMX)
    assert refused.status_code == 400 and "a rejection needs a reason" in refused.text
    done = review_client.post("/review/reject", data={"key": PLANE, "sample": "1", "reason": "photo <b>look</b>"})
    assert done.status_code == 200, done.text
    assert "rejected sample 1 of brand/icon-paper-plane-teal: photo &lt;b&gt;look&lt;/b&gt;" in done.text
    assert [r["reason"] for r in manifest(regressed, PLANE)["rejected"]] == ["photo <b>look</b>"]
    sha = manifest(regressed, PLANE)["rejected"][0]["sha256"]
    undone = review_client.post("/review/unreject", data={"key": PLANE, "sha": sha})
    assert "forgot 1 rejected image(s)" in undone.text and manifest(regressed, PLANE)["rejected"] == []


def test_a_doctored_run_is_refused_as_approve_refuses_it(review_client: TestClient, regressed: Path) -> None:
    path = latest_run(regressed) / "results.json"
    results = json.loads(path.read_text())
    for case in results["cases"]:
        if case["key"] == PADLOCK:
            case.update(suite="../../outside", key="../../outside/icon-padlock")
    path.write_text(json.dumps(results))
    before = goldens(regressed)
    answer = review_client.post("/review/approve", data={"key": "../../outside/icon-padlock"}, headers=HTMX)
    assert answer.status_code == 400
    cli = promptlib(regressed, "approve", "--case", "../../outside/icon-padlock")
    line = cli.output.removeprefix("error: ").strip()
    assert "is not a case of this project's suites" in line
    assert line.replace("'", "&#39;") in answer.text
    assert goldens(regressed) == before and not (regressed.parent / "outside").exists()


def test_only_the_runs_images_are_served(review_client: TestClient, regressed: Path) -> None:
    sample = by_key(latest_results(regressed))[PADLOCK]["samples"][0]["file"]
    assert review_client.get(f"/review/files/{sample}").headers["content-type"] == "image/png"
    for bad in ("results.json", "../../promptlib.yaml", "%2e%2e/%2e%2e/promptlib.yaml", "samples/nope.png"):
        assert review_client.get(f"/review/files/{bad}").status_code == 404
    (latest_run(regressed) / "link.png").symlink_to(
        regressed / "assets" / next(iter(sorted(p.name for p in (regressed / "assets").iterdir())))
    )
    assert review_client.get("/review/files/link.png").status_code == 404


def test_the_heatmap_is_a_png_of_two_run_images(review_client: TestClient, regressed: Path) -> None:
    case = by_key(latest_results(regressed))[PADLOCK]
    a, b = case["samples"][0]["file"], case["samples"][0]["nearest_golden"]
    answer = review_client.get(f"/review/heatmap?a={a}&b={b}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(answer.content)) as image:
        assert image.format == "PNG"
    assert review_client.get("/review/heatmap?a=../x.png&b=" + b).status_code == 404


def test_a_cross_site_decision_is_refused(review_client: TestClient, regressed: Path) -> None:
    before = goldens(regressed)
    answer = review_client.post("/review/approve", data={"key": PADLOCK}, headers={"sec-fetch-site": "cross-site"})
    assert answer.status_code == 403 and goldens(regressed) == before


def test_a_look_alike_group_is_approved_together_each_still_listed(review_client: TestClient, regressed: Path) -> None:
    answer = review_client.post("/review/approve-group", data={"key": [PADLOCK, PLANE]}, headers=HTMX)
    assert answer.status_code == 200, answer.text
    assert f"approved 2 look-alike cases: {PADLOCK}, {PLANE}" in answer.text
    for key in (PADLOCK, PLANE):
        assert manifest(regressed, key)["template"]["version"] == 2
        decided = rf'data-key="{key}".*?<span class="decided">approved: 3 golden\(s\), with its group'
        assert re.search(decided, answer.text)


def test_without_a_run_the_page_says_what_to_do(tmp_path: Path) -> None:
    from promptlib._library import Library
    from promptlib.web import access_policy, create_app

    (tmp_path / "promptlib.yaml").write_text("deployments: {local: {kind: emulator}}\n")
    library = Library.load(tmp_path)
    app = create_app(tmp_path, policy=access_policy("127.0.0.1", 8090), library=library)
    with TestClient(app, base_url="http://127.0.0.1:8090") as client:
        page = client.get("/review")
    library.close()
    assert page.status_code == 404
    assert "no runs yet under" in page.text and "run `promptlib eval` first" in page.text and "<nav" in page.text
