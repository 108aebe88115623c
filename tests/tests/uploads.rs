//! Photo and video evidence through the local S3 (s3s-fs, which checks SigV4 presigned URLs as
//! S3 does): an upload URL takes exactly the file it was asked for, until it expires; a file
//! is attached once, and only to the case it was uploaded for; it is read back by those who
//! may see the case.

use std::time::{Duration, SystemTime};

use aftersales::domain::identity::Role;
use aftersales::storage::{Bucket, upload_key};
use e2e::{StatusCode, TestApp, json, merchant_day};
use serde_json::{Value, json};

fn bucket() -> Bucket {
    Bucket::from_env().expect(
        "EVIDENCE_BUCKET and S3_ENDPOINT: run the tests with `make test`, which starts a local S3",
    )
}

async fn file_case(app: &TestApp, token: &str) -> String {
    let (status, case) = json(
        app.post(
            "/v1/cases",
            token,
            &json!({"type": "repair", "description": "The picture flickers.",
                    "purchase": {"category": "television", "invoice_date": merchant_day(-30)}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["id"].as_str().unwrap().to_owned()
}

async fn ask(
    app: &TestApp,
    token: &str,
    case: &str,
    content_type: &str,
    size: usize,
) -> (StatusCode, Value) {
    json(
        app.post(
            &format!("/v1/cases/{case}/uploads"),
            token,
            &json!({"content_type": content_type, "size_bytes": size}),
        )
        .await,
    )
    .await
}

/// A PUT as the app sends it: the headers the ticket names.
async fn put(app: &TestApp, url: &str, content_type: &str, body: Vec<u8>) -> StatusCode {
    app.http
        .put(url)
        .header("content-type", content_type)
        .header("if-none-match", "*")
        .body(body)
        .send()
        .await
        .expect("the local S3 answers")
        .status()
}

fn jpeg(size: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(size, 0x42);
    bytes
}

#[tokio::test]
async fn a_photo_is_uploaded_attached_once_and_read_back_by_those_who_may_see_the_case() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file_case(&app, &alice).await;
    let photo = jpeg(48_213);

    let (status, ticket) = ask(&app, &alice, &case, "image/jpeg", photo.len()).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["method"], "PUT");
    assert_eq!(ticket["headers"]["Content-Length"], "48213");
    let url = ticket["url"].as_str().unwrap();
    assert_eq!(
        put(&app, url, "image/jpeg", photo.clone()).await,
        StatusCode::OK
    );

    let attach = format!(
        "/v1/cases/{case}/uploads/{}",
        ticket["upload_id"].as_str().unwrap()
    );
    let (status, view) = json(
        app.post(
            &attach,
            &alice,
            &json!({"type": "photo", "note": "at 10 minutes"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let evidence = &view["evidence"][0];
    assert_eq!(
        evidence["size_bytes"], 48_213,
        "the bucket's size, not the caller's word"
    );
    assert_eq!(evidence["content_type"], "image/jpeg");
    assert_eq!(evidence["note"], "at 10 minutes");
    assert!(
        evidence["upload"]
            .as_str()
            .unwrap()
            .starts_with(&format!("cases/{case}/"))
    );
    assert_eq!(
        view["timeline"].as_array().unwrap().last().unwrap()["type"],
        "evidence_added"
    );

    // Once.
    let (status, again) = json(app.post(&attach, &alice, &json!({})).await).await;
    assert_eq!(
        (status, again["rule"].as_str()),
        (StatusCode::CONFLICT, Some("upload-attached")),
        "{again}"
    );

    // Read back: the owner and staff get a short-lived address that serves the very bytes.
    for reader in [alice.clone(), app.token(Role::Agent, "zhao")] {
        let (status, link) = json(
            app.get(&format!("/v1/cases/{case}/evidence/0"), &reader)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert!(link["expires_at"].is_string());
        let served = app
            .http
            .get(link["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(served.bytes().await.unwrap().to_vec(), photo);
    }
    // Another customer learns nothing, and is signed nothing.
    let bob = app.customer("bob");
    for path in [format!("/v1/cases/{case}/evidence/0")] {
        let (status, _) = json(app.get(&path, &bob).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = ask(&app, &bob, &case, "image/jpeg", 10).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json(app.post(&attach, &bob, &json!({})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_upload_url_refuses_a_larger_body_another_type_a_tampered_address_and_once_expired() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file_case(&app, &alice).await;
    let other = file_case(&app, &alice).await;
    let (status, ticket) = ask(&app, &alice, &case, "image/png", 1_000).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let url = ticket["url"].as_str().unwrap();

    assert_eq!(
        put(&app, url, "image/png", jpeg(1_001)).await,
        StatusCode::FORBIDDEN,
        "a larger body"
    );
    assert_eq!(
        put(&app, url, "image/png", jpeg(999)).await,
        StatusCode::FORBIDDEN,
        "a smaller body"
    );
    assert_eq!(
        put(&app, url, "text/html", jpeg(1_000)).await,
        StatusCode::FORBIDDEN,
        "another type"
    );
    let tampered = url.replace(&case, &other);
    assert_ne!(tampered, url);
    assert_eq!(
        put(&app, &tampered, "image/png", jpeg(1_000)).await,
        StatusCode::FORBIDDEN,
        "another case's prefix"
    );

    // Signed sixteen minutes ago: its fifteen minutes are over.
    let key = upload_key(&case, "0123456789abcdef0123456789abcdef-1000");
    let expired = bucket()
        .upload_url(
            &key,
            "image/png",
            1_000,
            SystemTime::now() - Duration::from_secs(16 * 60),
        )
        .unwrap();
    assert_eq!(
        put(&app, &expired, "image/png", jpeg(1_000)).await,
        StatusCode::FORBIDDEN,
        "expired"
    );

    // None of them left a file to attach.
    let (status, refused) = json(
        app.post(
            &format!(
                "/v1/cases/{other}/uploads/{}",
                ticket["upload_id"].as_str().unwrap()
            ),
            &alice,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, refused["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("upload-missing"))
    );
    // The URL as given still works, once the body is right.
    assert_eq!(
        put(&app, url, "image/png", jpeg(1_000)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_file_uploaded_for_one_case_cannot_be_attached_to_another() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let first = file_case(&app, &alice).await;
    let second = file_case(&app, &alice).await;
    let (_, ticket) = ask(&app, &alice, &second, "image/jpeg", 2_000).await;
    assert_eq!(
        put(
            &app,
            ticket["url"].as_str().unwrap(),
            "image/jpeg",
            jpeg(2_000)
        )
        .await,
        StatusCode::OK
    );
    let upload = ticket["upload_id"].as_str().unwrap();

    let (status, refused) = json(
        app.post(
            &format!("/v1/cases/{first}/uploads/{upload}"),
            &alice,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, refused["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("upload-missing")),
        "{refused}"
    );
    // Nor by naming the key by hand.
    let (status, forged) = json(
        app.post(
            &format!("/v1/cases/{first}/evidence"),
            &alice,
            &json!({"evidence": [{"type": "photo", "url": "https://cdn.example/a.jpg", "size_bytes": 2000,
                                  "upload": format!("cases/{second}/{upload}")}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{forged}");
    // And an id that is not one is not looked up.
    let (status, _) = json(
        app.post(
            &format!("/v1/cases/{first}/uploads/..%2F{second}"),
            &alice,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Its own case takes it.
    let (status, view) = json(
        app.post(
            &format!("/v1/cases/{second}/uploads/{upload}"),
            &alice,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["evidence"][0]["type"], "photo");
}

#[tokio::test]
async fn an_upload_is_asked_only_for_a_type_and_size_evidence_may_have() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file_case(&app, &alice).await;
    for (content_type, size) in [
        ("image/svg+xml", 10),
        ("text/html", 10),
        ("image/jpeg", 0),
        ("video/mp4", 300 * 1024 * 1024),
    ] {
        let (status, problem) = ask(&app, &alice, &case, content_type, size).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{content_type} {size}: {problem}"
        );
    }
    let (status, _) = ask(&app, &alice, &case, "video/mp4", 150 * 1024 * 1024).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_file_of_another_size_than_asked_is_not_attached_even_when_the_store_took_it() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file_case(&app, &alice).await;
    let (_, ticket) = ask(&app, &alice, &case, "image/jpeg", 10).await;
    // The signed Content-Length, and a chunked body of 100 bytes: the local S3 takes it (S3
    // itself would not); the attach still checks what arrived against what was asked.
    let url = ticket["url"].as_str().unwrap();
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/jpeg\r\nIf-None-Match: *\r\n\
         Content-Length: 10\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n64\r\n{}\r\n0\r\n\r\n",
        "x".repeat(100)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    if answer.starts_with("HTTP/1.1 200") {
        let attach = format!(
            "/v1/cases/{case}/uploads/{}",
            ticket["upload_id"].as_str().unwrap()
        );
        let (status, refused) = json(app.post(&attach, &alice, &json!({})).await).await;
        assert_eq!(
            (status, refused["rule"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("upload-size-mismatch")
            ),
            "{refused}"
        );
    } else {
        // Refused by the store itself: nothing to attach.
        assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    }
}
