//! Interoperability with the Standard Webhooks reference library (PyPI `standardwebhooks`,
//! installed into `.venv` by `make test`): what it signs verifies here, what we sign verifies
//! there, with a `whsec_` secret and with the same key unprefixed and unpadded.

use std::io::Write;
use std::process::{Command, Stdio};

use aftersales::webhooks::verify::sign;
use e2e::{StatusCode, TestApp, fixture, json};

/// Runs `script` with the reference library; `args` are its `sys.argv[1..]`, `body` its
/// standard input. Answers its standard output.
fn reference(script: &str, args: &[&str], body: &[u8]) -> String {
    let python = std::env::var("STANDARD_WEBHOOKS_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python").to_owned());
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{python}: {e}; `make test` installs standardwebhooks into .venv")
        });
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the reference library failed (`make test` installs it into .venv): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

const SIGN: &str = r#"
import sys, datetime
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts = sys.argv[1:]
body = sys.stdin.buffer.read().decode("utf-8")
print(Webhook(secret).sign(msg_id, datetime.datetime.fromtimestamp(int(ts), tz=datetime.timezone.utc), body))
"#;

const VERIFY: &str = r#"
import sys
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts, signature = sys.argv[1:]
body = sys.stdin.buffer.read()
Webhook(secret).verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": signature})
print("verified")
"#;

#[tokio::test]
async fn a_delivery_signed_by_the_reference_library_with_a_whsec_secret_is_taken() {
    let app = TestApp::spawn().await;
    let body = fixture("generic/order-upserted.json");
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = reference(SIGN, &[e2e::GENERIC_SECRET, "msg_ref_1", &ts], &body);
    assert!(signature.starts_with("v1,"), "{signature}");
    let (status, out) = json(
        app.generic_raw(&body, "msg_ref_1", ts.parse().unwrap(), &signature)
            .await,
    )
    .await;
    assert!(status.is_success(), "{status}: {out}");

    // The same library's signature over another body is refused.
    let mut other = body.clone();
    other.push(b' ');
    let (status, _) = json(
        app.generic_raw(&other, "msg_ref_2", ts.parse().unwrap(), &signature)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[test]
fn what_we_sign_verifies_with_the_reference_library_whichever_way_the_secret_is_written() {
    let body = br#"{"type":"refund.succeeded","data":{"amount":"3999.00","note":"\u00e9\u4e2d"}}"#;
    let ts = chrono::Utc::now().timestamp();
    // 25 bytes of key: base64 with padding, which either side may leave out.
    let padded = "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ubw==";
    let unprefixed = padded.strip_prefix("whsec_").unwrap();
    let unpadded = padded.trim_end_matches('=');
    for ours in [e2e::GENERIC_SECRET, padded, unprefixed, unpadded] {
        let signature = sign::standard(ours, "msg_ours", ts, body).expect("a Standard secret");
        let same_key = if ours == e2e::GENERIC_SECRET {
            vec![e2e::GENERIC_SECRET]
        } else {
            vec![padded, unpadded]
        };
        for theirs in same_key {
            let answer = reference(
                VERIFY,
                &[theirs, "msg_ours", &ts.to_string(), &signature],
                body,
            );
            assert_eq!(
                answer, "verified",
                "signed with {ours}, verified with {theirs}"
            );
        }
    }
    // A secret the reference library would not read is no key here either.
    assert!(sign::standard("whsec_not base64!", "msg", ts, body).is_none());
}
