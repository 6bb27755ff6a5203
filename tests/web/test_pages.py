"""Server-rendered pages through TestClient: layout, catalog, editor forms, CSRF, errors, plans."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from web_helpers import HTML, csrf_of

TRAINING = {"name": "Llama 70B pre-training", "kind": "training", "objective": "tco", "model": "llama-3.1-70b",
            "precision": "bf16", "training.tokens": "15T", "training.seq_len": "8192", "training.target": "deadline",
            "training.deadline_days": "90", "preview_server": "nvidia-dgx-h100"}
INFERENCE = {"name": "Chat service", "kind": "inference", "objective": "tco", "model": "llama-3.1-70b",
             "precision": "fp8", "inference.input_tokens": "2000", "inference.output_tokens": "500",
             "inference.requests_per_s": "20", "inference.ttft_ms_max": "2000", "inference.tpot_ms_max": "100",
             "inference.availability": "n+1", "preview_server": "nvidia-dgx-h100"}


def field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="([^"]+)-error">([^<]*)</p>', html))


def post_form(client: TestClient, page: str, action: str, data: dict[str, str], **kw):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page, headers=HTML).text)
    return client.post(action, data={**data, "csrf_token": token}, headers=HTML, follow_redirects=False, **kw)


def test_home_has_navigation_and_catalog_counts(client: TestClient) -> None:
    html = client.get("/", headers=HTML).text
    for href in ('href="/plans/new"', 'href="/plans"', 'href="/catalog/servers"', 'href="/docs"'):
        assert href in html
    assert re.search(r'<span class="stat-value">(\d+)</span><span class="stat-label">servers', html)
    assert "Sign in" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style attributes


def test_every_catalog_list_renders_rows_with_unit_labels(client: TestClient) -> None:
    for kind, label in (("servers", "Max power [W]"), ("accelerators", "Memory bandwidth [TB/s]"),
                        ("switches", "Port [Gb/s]"), ("storage-systems", "Usable [TB]"),
                        ("rack-profiles", "Power [kW]")):
        html = client.get(f"/catalog/{kind}", headers=HTML).text
        assert label in html, kind
        assert html.count(f'href="/catalog/{kind}/') >= 3, kind


def test_catalog_filter_sort_and_htmx_fragment(client: TestClient) -> None:
    html = client.get("/catalog/servers?accelerator=h100-sxm&sort=-max_power_w", headers=HTML).text
    slugs = re.findall(r'name="slugs" value="([^"]+)"', html)
    assert slugs and all("h100" in s or "xd670" in s or "sr680a" in s for s in slugs)
    fragment = client.get("/catalog/servers?q=xe9680", headers={**HTML, "HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<div id="results">') and "<html" not in fragment
    assert "dell-xe9680-h100" in fragment and "nvidia-dgx-h100" not in fragment


def test_detail_shows_every_spec_and_datasheet(client: TestClient) -> None:
    html = client.get("/catalog/servers/nvidia-dgx-h100", headers=HTML).text
    assert "Datasheet" in html and 'rel="noopener noreferrer external"' in html
    assert "Max power [W]" in html and "10,200" in html  # DGX H100 system maximum, 10.2 kW (NVIDIA datasheet)
    assert "USD per GPU" in html


def test_compare_highlights_differences_and_ratios(client: TestClient) -> None:
    html = client.get("/catalog/compare?kind=servers&slugs=nvidia-dgx-h100,nvidia-dgx-b200", headers=HTML).text
    assert html.count('class="differs"') >= 3
    assert "USD per GPU" in html and "BF16 TFLOP/s per kW" in html and "best" in html
    too_few = client.get("/catalog/compare?kind=servers&slugs=nvidia-dgx-h100", headers=HTML)
    assert too_few.status_code == 422 and "select 2 to 4" in too_few.text


def test_error_pages_are_html_in_app_layout_but_api_stays_json(client: TestClient) -> None:
    page = client.get("/catalog/servers/no-such-box", headers=HTML)
    assert page.status_code == 404 and 'class="error-page"' in page.text and "no-such-box" in page.text
    api = client.get("/api/v1/servers/no-such-box", headers=HTML)
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


def test_post_without_or_with_wrong_csrf_token_is_403(client: TestClient) -> None:
    client.get("/login", headers=HTML)
    missing = client.post("/login", data={"username": "x", "password": "y"}, headers=HTML)
    wrong = client.post("/login", data={"username": "x", "password": "y", "csrf_token": "forged"}, headers=HTML)
    assert missing.status_code == 403 and wrong.status_code == 403
    assert "security token" in wrong.text and 'class="error-page"' in wrong.text


def test_login_sets_http_only_cookie_and_logout_clears(editor_client: TestClient) -> None:
    html = editor_client.get("/", headers=HTML).text
    assert "erin" in html and "Sign out" in html
    r = post_form(editor_client, "/", "/logout", {})
    assert r.status_code == 303
    assert "erin" not in editor_client.get("/", headers=HTML).text


def test_login_with_wrong_password_keeps_username(client: TestClient) -> None:
    r = post_form(client, "/login", "/login", {"username": "nobody", "password": "bad-password", "next": "//evil"})
    assert r.status_code == 401 and "wrong password" in r.text and 'value="nobody"' in r.text


def test_catalog_editing_needs_an_editor(client: TestClient, viewer_client: TestClient) -> None:
    anonymous = TestClient(client.app)
    r = anonymous.get("/catalog/switches/new", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert viewer_client.get("/catalog/switches/new", headers=HTML).status_code == 403


def test_create_form_reshows_errors_beside_fields_with_values_kept(editor_client: TestClient) -> None:
    data = {"slug": "test-sw", "vendor": "Acme", "model": "X1", "fabric": "ethernet", "ports": "-4",
            "port_gbit_s": "400", "rack_units": "1", "max_power_w": "900", "typical_power_w": "700",
            "list_price_usd": ""}
    r = post_form(editor_client, "/catalog/switches/new", "/catalog/switches/new", data)
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert "greater than or equal to 1" in errors["ports"] and errors["list_price_usd"] == "required"
    assert 'value="Acme"' in r.text and 'value="-4"' in r.text
    ok = post_form(editor_client, "/catalog/switches/new", "/catalog/switches/new",
                   {**data, "ports": "64", "list_price_usd": "30000"})
    assert ok.status_code == 303 and ok.headers["location"] == "/catalog/switches/test-sw"


def test_edit_with_stale_version_is_refused(editor_client: TestClient) -> None:
    page = editor_client.get("/catalog/rack-profiles", headers=HTML).text
    slug = re.findall(r'name="slugs" value="([^"]+)"', page)[0]
    form_html = editor_client.get(f"/catalog/rack-profiles/{slug}/edit", headers=HTML).text
    inputs = re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="[^"]+"\s*(?:step="any")?\s*value="([^"]*)"',
                        form_html)
    values = {k: unescape(v) for k, v in inputs}
    values.update(name="Edited rack", cooling="air" if "air\" selected" in form_html else "liquid")
    etag = unescape(re.search(r'name="if_match" value="([^"]*)"', form_html).group(1))  # type: ignore[union-attr]
    first = post_form(editor_client, f"/catalog/rack-profiles/{slug}/edit", f"/catalog/rack-profiles/{slug}/edit",
                      {**values, "if_match": etag})
    assert first.status_code == 303
    stale = post_form(editor_client, f"/catalog/rack-profiles/{slug}/edit", f"/catalog/rack-profiles/{slug}/edit",
                      {**values, "name": "Lost update", "if_match": etag})
    assert stale.status_code == 409 and "changed" in stale.text and 'value="Lost update"' in stale.text


def test_new_plan_form_shows_presets_tabs_and_site_defaults(client: TestClient) -> None:
    html = client.get("/plans/new", headers=HTML).text
    assert 'id="kind-training"' in html and 'id="kind-inference"' in html and 'id="kind-classic"' in html
    assert "Llama 3.1 405B" in html and "Site assumptions" in html and "default 1.3" in html  # PUE default
    assert 'hx-post="/plans/preview"' in html and 'hx-trigger="load, change, keyup delay:500ms"' in html


def test_preview_fragment_for_training_and_inference(client: TestClient) -> None:
    token = csrf_of(client.get("/plans/new", headers=HTML).text)
    hx = {**HTML, "HX-Request": "true"}
    train = client.post("/plans/preview", data={**TRAINING, "csrf_token": token}, headers=hx).text
    assert train.lstrip().startswith('<section id="preview"') and "tokens/s" in train and "80 layers" in train
    assert "Run time (expected)" in train and " to " in train  # 15T tokens given: expected run time and range
    infer = client.post("/plans/preview", data={**INFERENCE, "csrf_token": token}, headers=hx).text
    assert "Requests/s per replica" in infer and "TTFT" in infer
    bad = client.post("/plans/preview", data={**INFERENCE, "inference.input_tokens": "0", "csrf_token": token},
                      headers=hx).text
    assert "Fix these" in bad and "input tokens" in bad


def test_anonymous_cannot_save_a_plan_but_keeps_values(client: TestClient) -> None:
    r = post_form(client, "/plans/new", "/plans/new", TRAINING)
    assert r.status_code == 401 and "Sign in as an editor" in r.text and 'value="Llama 70B pre-training"' in r.text


def test_invalid_plan_is_reshown_with_field_messages(editor_client: TestClient) -> None:
    r = post_form(editor_client, "/plans/new", "/plans/new", {**TRAINING, "name": "", "training.tokens": "lots",
                                                               "site.pue": "9"})
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert errors["name"] == "required" and "number" in errors["training-tokens"]
    assert "less than or equal to 3" in errors["site-pue"]
    assert 'value="lots"' in r.text and 'name="site.pue" type="number"' in r.text


def test_inconsistent_custom_shape_is_reshown_beside_the_field_at_fault(editor_client: TestClient) -> None:
    shape = {"model": "custom", "shape.params": "7e9", "shape.layers": "32", "shape.hidden_size": "4096",
             "shape.attention_heads": "30"}
    r = post_form(editor_client, "/plans/new", "/plans/new", {**TRAINING, **shape})
    assert r.status_code == 422
    assert field_errors(r.text)["shape-attention_heads"] == "must divide hidden_size (4096), got 30"
    assert 'name="shape.attention_heads"' in r.text and 'value="30"' in r.text


def test_infeasible_plan_explains_what_was_tried(editor_client: TestClient) -> None:
    data = {**TRAINING, "model": "llama-3.1-405b", "training.target": "gpus", "training.gpu_count": "8",
            "candidates": "dell-r760-l4"}
    r = post_form(editor_client, "/plans/new", "/plans/new", data)
    assert r.status_code == 422 and "No build satisfies this request" in r.text and "What to change" in r.text
    assert "dell-r760-l4" in r.text or "R760" in r.text


def test_training_and_inference_plans_end_to_end(editor_client: TestClient) -> None:
    created = post_form(editor_client, "/plans/new", "/plans/new", TRAINING)
    assert created.status_code == 303
    train_url = created.headers["location"]
    page = editor_client.get(train_url, headers=HTML).text
    for text in ("Recommendation", "Alternatives", "Pareto", "Rack elevations", "Bill of materials", "Assumptions",
                 "report.pdf", "report.xlsx", "report.csv", "report.json", "Duplicate and edit"):
        assert text in page, text
    assert 'class="slot h-' in page
    infer = post_form(editor_client, "/plans/new", "/plans/new", INFERENCE)
    assert infer.status_code == 303
    infer_page = editor_client.get(infer.headers["location"], headers=HTML).text
    assert "requests/s capacity" in infer_page
    a, b = train_url.rsplit("/", 1)[1], infer.headers["location"].rsplit("/", 1)[1]
    listing = editor_client.get("/plans?q=Chat", headers=HTML).text
    assert "Chat service" in listing and "Llama 70B pre-training" not in listing
    compare = editor_client.get(f"/plans/compare?a={a}&b={b}", headers=HTML).text
    assert "Chat service" in compare and "Llama 70B pre-training" in compare and 'class="differs"' in compare


def test_rerun_and_duplicate(editor_client: TestClient) -> None:
    created = post_form(editor_client, "/plans/new", "/plans/new", INFERENCE)
    url = created.headers["location"]
    rerun = post_form(editor_client, url, f"{url}/rerun", {})
    assert rerun.status_code == 303 and rerun.headers["location"] != url
    assert f"re-run of <a href=\"{url}\">" in editor_client.get(rerun.headers["location"], headers=HTML).text
    dup = editor_client.get(f"/plans/new?from={url.rsplit('/', 1)[1]}", headers=HTML).text
    assert 'value="Chat service (copy)"' in dup and 'id="kind-inference" value="inference" checked' in dup
