"""Assertions on the intake Lambda's answers to API Gateway v2 events (see check.sh)."""
import json
import sys


def answer(path):
    with open(path) as f:
        response = json.load(f)
    if "statusCode" not in response:  # not an HTTP function: its answer as it is
        return 200, {}, response
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        import base64
        raw = base64.b64decode(raw).decode("utf-8", "replace")
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError:  # a page, not JSON
        body = raw
    return response["statusCode"], headers, body


def expect(condition, message, payload):
    if not condition:
        sys.exit(f"lambda check failed: {message}\n{json.dumps(payload, indent=2)[:2000]}")


kind, path = sys.argv[1], sys.argv[2]
status, headers, body = answer(path)
case_id = sys.argv[3] if len(sys.argv) > 3 else None

if kind == "created":
    expect(status == 201, f"filing answered {status}, not 201", body)
    expect(headers.get("location") == f"/v1/cases/{body['id']}", "Location names the case", headers)
    expect(body["customer_id"] == "c7d1f3a2-lambda-customer", "the case belongs to the token's subject", body)
    expect(body["entitlement"]["remedy"] == "paid_repair", "a 2015 purchase is owed a paid repair", body)
    expect(body["contact"]["phone"] == "+8613800138000", "the phone number is normalised", body)
    expect([e["type"] for e in body["timeline"]] == ["filed"], "the timeline starts with 'filed'", body)
    print(body["id"])
elif kind == "get-case-customer":
    expect(status == 200, f"the owner reading the case got {status}", body)
    expect(body["id"] == case_id and body["timeline"][0]["actor"]["role"] == "customer", "the owner reads the case", body)
elif kind == "get-case-other-customer":
    expect(status == 404, f"another customer got {status}, not 404", body)
    expect(headers.get("content-type") == "application/problem+json", "the 404 is problem+json", headers)
elif kind == "list-cases-agent":
    expect(status == 200, f"the agent's queue answered {status}", body)
    expect(case_id in [c["id"] for c in body["items"]], "the agent sees the new case in the submitted queue", body)
elif kind == "webhook":
    expect(status == 200, f"the signed Shopify order answered {status}", body)
    expect(body["outcome"] == "applied", "the order is stored", body)
elif kind == "webhook-forged":
    expect(status == 401, f"a forged signature got {status}, not 401", body)
    expect(headers.get("content-type") == "application/problem+json", "the 401 is problem+json", headers)
elif kind == "created-return":
    expect(status == 201, f"filing a refund answered {status}", body)
    expect(body["returns"]["stage"] == "awaiting_decision", "the merchant's clock runs", body)
    print(body["id"])
elif kind == "approved":
    expect(status == 200, f"the agent's approval answered {status}", body)
    expect(body["returns"]["stage"] == "refund_pending", "approved, awaiting finance", body)
    expect(body["timeline"][-1]["actor"]["role"] == "agent", "the decision is the agent's", body)
elif kind == "work-opened":
    expect(status == 200, f"the dispatcher opening a work order answered {status}", body)
    expect(body["work"]["kind"] == "on_site" and body["work"]["due"], "the work order's promise runs", body)
    expect(body["timeline"][-1]["step"]["step"] == "opened", "the timeline shows it opened", body)
elif kind == "survey-not-open":
    expect(status == 409, f"a survey answered before resolution got {status}, not 409", body)
    expect(body["rule"] == "no-survey", "the refusal names its rule", body)
elif kind == "admin-page":
    expect(status == 200, f"the admin page got {status}", body)
    expect("default-src 'self'" in headers.get("content-security-policy", ""), "the page carries its CSP", headers)
    expect(headers.get("cache-control") == "no-cache", "the shell is never cached", headers)
    expect("/admin/assets/" in body, "the shell names its hashed scripts", body[:500])
elif kind == "reports":
    expect(status == 200, f"the manager's reports got {status}", body)
    expect(body["filed"].get("repair", 0) >= 1, "the repair filed in this check is counted", body)
    expect(body["service_rating"]["level"] in {"unmeasured", "below_pass", "pass", "three_stars", "four_stars", "five_stars"}, "a rating level", body)
elif kind == "timers":
    expect({"due_read", "fired", "delivered"} <= set(body), "the timers report what they did", body)
    expect(body["fired"] == 0, "nothing is due right after filing", body)
elif kind == "plain-groups-claim":
    expect(status == 403, f"a token with only a plain groups claim read the policy: {status}", body)
elif kind == "openapi":
    expect(status == 200, f"the published document answered {status} without a token", body)
    expect(body["openapi"] == "3.1.0" and "/v1/cases" in body["paths"], "it is the OpenAPI 3.1 document", body)
elif kind == "identity-issued":
    with open(sys.argv[3]) as f:
        sent = json.load(f)
    expect(body == sent, "the trigger answers the event unchanged (the token is issued)", body)
else:
    sys.exit(f"unknown check {kind}")
