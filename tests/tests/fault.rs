//! A stalled database: DynamoDB Local frozen (SIGSTOP) mid-use. A request is answered 503 with
//! `Retry-After` within the client's timeouts instead of hanging, and once the database
//! resumes (SIGCONT) the same request with its `Idempotency-Key` succeeds, once.
//!
//! This test starts a DynamoDB Local of its own (from `DYNAMODB_LOCAL_DIR`, which `make test`
//! sets), so that freezing it stops no other test.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use e2e::{StatusCode, TestApp, json, merchant_day};
use reqwest::Method;
use serde_json::json;

/// A DynamoDB Local process, stopped when dropped.
struct Database {
    child: Child,
    endpoint: String,
}

impl Database {
    fn start() -> Self {
        let dir = std::env::var("DYNAMODB_LOCAL_DIR").unwrap_or_else(|_| {
            panic!("DYNAMODB_LOCAL_DIR is not set: run the tests with `make test`, which installs DynamoDB Local and sets it")
        });
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("java")
            .current_dir(&dir)
            .args([
                "-Xmx256m",
                "-Djava.library.path=./DynamoDBLocal_lib",
                "-jar",
                "DynamoDBLocal.jar",
                "-port",
                &port.to_string(),
                "-inMemory",
                "-disableTelemetry",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start DynamoDB Local (java)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "DynamoDB Local did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal}");
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_frozen_database_is_answered_503_and_the_retry_with_its_key_files_the_case_once() {
    let db = Database::start();
    let app = TestApp::spawn_on(&db.endpoint).await;
    let alice = app.customer("alice");
    let body = json!({
        "type": "repair", "description": "No picture.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)}
    });
    // Warm: the policy is read once and cached, as in a warm Lambda.
    let (status, _) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = json(
        app.get(
            "/v1/policy",
            &app.token(aftersales::domain::identity::Role::Agent, "a"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let send = || {
        app.request(Method::POST, "/v1/cases", &alice)
            .header("Idempotency-Key", "frozen-1")
            .json(&body)
            // Far longer than the DynamoDB timeouts: a hang would fail here, a 503 answers first.
            .timeout(Duration::from_secs(30))
            .send()
    };
    db.signal("-STOP");
    let started = Instant::now();
    let response = send()
        .await
        .expect("an answer while the database is frozen");
    let waited = started.elapsed();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, problem) = json(response).await;
    let _ = writeln!(
        std::io::stderr(),
        "fault: the frozen database was answered {status} in {} ms",
        waited.as_millis()
    );
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["type"], "/problems/unavailable");
    assert!(retry_after.is_some(), "503 says when to retry");

    db.signal("-CONT");
    let (status, case) = json(send().await.expect("an answer")).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (_, again) = json(send().await.expect("an answer")).await;
    assert_eq!(again["id"], case["id"], "the key answers the same case");
    let (_, list) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "one case, whatever the frozen request did: {list}"
    );
}
