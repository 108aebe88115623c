//! Feedback end to end: the survey a resolved case opens, answered once by its customer, and
//! the case a dissatisfied answer sends back to customer service.

use aftersales::domain::identity::Role;
use chrono::Weekday;
use e2e::{StatusCode, TestApp, json};
use serde_json::{Value, json};

/// A repair of `customer`'s taken through the workshop to a passed inspection: resolved.
async fn resolved(app: &TestApp, customer: &str, serial: &str) -> String {
    let id = app
        .work_order(customer, serial, json!({"kind": "workshop"}))
        .await;
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let technician = app.token(Role::Technician, "tech-a");
    let (_, suggested) = json(
        app.get(&format!("/v1/cases/{id}/suggestions"), &dispatcher)
            .await,
    )
    .await;
    let steps = [
        (
            dispatcher.clone(),
            json!({"action": "book", "start": suggested[0]["start"], "technician": "tech-a"}),
        ),
        (technician.clone(), json!({"action": "start"})),
        (
            technician,
            json!({"action": "finish", "result": "done", "fault": "no-picture"}),
        ),
        (
            app.token(Role::Quality, "quality-1"),
            json!({"action": "inspect", "passed": true}),
        ),
    ];
    for (token, body) in steps {
        let (status, case) = json(
            app.post(&format!("/v1/cases/{id}/work"), &token, &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}: {case}");
    }
    id
}

/// The reports of a period around the test's moves of the clock, whatever the quarter.
fn wide_period() -> String {
    format!(
        "/v1/reports?from={}&to={}",
        e2e::merchant_day(-30),
        e2e::merchant_day(90)
    )
}

async fn answer(app: &TestApp, id: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json(
        app.post(&format!("/v1/cases/{id}/survey"), token, &body)
            .await,
    )
    .await
}

#[tokio::test]
async fn a_customer_answers_their_own_survey_once_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let id = resolved(&app, "li-lei", "SN-1").await;
    let case = app.case_as_staff(&id).await;
    assert_eq!(case["status"], "resolved");
    assert!(
        case["survey"]["opened_at"].is_string(),
        "the survey opened: {case}"
    );

    let (status, _) = answer(
        &app,
        &id,
        &app.customer("mallory"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another customer's case is not there"
    );
    let (status, _) = answer(
        &app,
        &id,
        &app.token(Role::Agent, "agent-1"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "staff do not answer for the customer"
    );
    let owner = app.customer("li-lei");
    let (status, refused) = answer(&app, &id, &owner, json!({"level": "average"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "below satisfied says why: {refused}"
    );
    let (status, answered) = answer(
        &app,
        &id,
        &owner,
        json!({"level": "very_satisfied", "comment": "Quick and tidy."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["survey"]["answer"]["level"], "very_satisfied");
    assert_eq!(answered["status"], "resolved");
    let (status, again) = answer(
        &app,
        &id,
        &owner,
        json!({"level": "dissatisfied", "reasons": ["speed"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["rule"], "survey-answered");
}

#[tokio::test]
async fn a_survey_expires_after_the_policys_window() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let id = resolved(&app, "li-lei", "SN-1").await;
    app.advance_clock(14 * 24 + 1).await;
    let (status, late) = answer(
        &app,
        &id,
        &app.customer("li-lei"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["rule"], "survey-expired");
}

#[tokio::test]
async fn dissatisfied_with_the_speed_sends_the_case_back_to_the_agents_queue_with_the_reason() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let id = resolved(&app, "li-lei", "SN-1").await;
    let (status, answered) = answer(
        &app,
        &id,
        &app.customer("li-lei"),
        json!({"level": "dissatisfied", "reasons": ["speed"], "comment": "Two weeks for a board."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["status"], "in_progress");
    assert_eq!(answered["reopened"]["reasons"], json!(["speed"]));
    let kinds: Vec<&str> = answered["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reopened", "survey_answered"]);
    let agent = app.token(Role::Agent, "agent-1");
    let (_, queue) = json(app.get("/v1/cases?status=in_progress", &agent).await).await;
    let listed = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("in the agent's queue: {queue}"));
    assert_eq!(listed["reopened_for"], json!(["speed"]));
}

#[tokio::test]
async fn a_regulator_complaint_lands_with_a_manager_and_an_app_complaint_with_customer_service() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-1");
    let (status, regulator) = json(
        app.post(
            "/v1/cases",
            &agent,
            &json!({"type": "complaint", "customer_id": "c-1", "complaint_channel": "regulator",
                    "description": "Forwarded by the market regulator: a repair promised twice and missed."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{regulator}");
    assert_eq!(regulator["complaint"]["channel"], "regulator");
    assert_eq!(regulator["complaint"]["handler"], "manager");
    assert_eq!(regulator["priority"], "urgent");
    let (status, own) = json(
        app.post(
            "/v1/cases",
            &app.customer("c-2"),
            &json!({"type": "complaint", "description": "The technician was rude."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["complaint"]["channel"], "app");
    assert_eq!(own["complaint"]["handler"], "agent");
    // The manager's queue holds the regulator's complaint, not the app's.
    let manager = app.token(Role::Manager, "manager-1");
    let (_, queue) = json(
        app.get("/v1/cases?type=complaint&handler=manager", &manager)
            .await,
    )
    .await;
    let ids: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [regulator["id"].as_str().unwrap()], "{queue}");
    assert_eq!(queue["items"][0]["handler"], "manager");
    let (_, all) = json(app.get("/v1/cases?type=complaint", &agent).await).await;
    let app_complaint = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == own["id"])
        .unwrap();
    assert!(
        app_complaint.get("handler").is_none(),
        "customer service's own: {app_complaint}"
    );
    // Only a complaint has a channel.
    let (status, refused) = json(
        app.post(
            "/v1/cases",
            &agent,
            &json!({"type": "technical_support", "customer_id": "c-1", "complaint_channel": "regulator", "description": "?"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");

    // Customer service cannot handle the regulator's complaint; the manager does.
    let regulator_id = regulator["id"].as_str().unwrap();
    let resolve =
        json!({"action": "resolve", "resolution": "Visit fee refunded.", "against": "tech-a"});
    let (status, _) = complaint(&app, regulator_id, &agent, &resolve).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answered) = complaint(
        &app,
        regulator_id,
        &manager,
        &json!({"action": "answer", "note": "Called the customer: a senior technician comes tomorrow."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["status"], "in_progress");
    let (status, resolved) = complaint(&app, regulator_id, &manager, &resolve).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["complaint"]["against"], "tech-a");
    assert!(resolved["survey"]["opened_at"].is_string(), "{resolved}");
    let (status, again) = complaint(&app, regulator_id, &manager, &resolve).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["rule"], "complaint-settled");
}

async fn complaint(app: &TestApp, id: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    json(
        app.post(&format!("/v1/cases/{id}/complaint"), token, body)
            .await,
    )
    .await
}

/// A complaint of `customer`'s, filed in the app and resolved by customer service.
async fn resolved_complaint(app: &TestApp, customer: &str) -> String {
    let (status, case) = json(
        app.post(
            "/v1/cases",
            &app.customer(customer),
            &json!({"type": "complaint", "description": "The parcel came open."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    let agent = app.token(Role::Agent, "agent-1");
    let (status, done) = complaint(
        app,
        &id,
        &agent,
        &json!({"action": "resolve", "resolution": "Sent a new one."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    id
}

#[tokio::test]
async fn a_survey_link_answers_its_survey_once_and_a_forged_or_expired_link_does_not() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-1");
    let id = resolved_complaint(&app, "han-mei").await;
    let (status, link) = json(
        app.post(&format!("/v1/cases/{id}/survey/link"), &agent, &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let path = link["path"].as_str().unwrap().to_owned();
    // No sign-in: the link is the credential, and it shows nothing of the case but its number.
    let anonymous = |method, path: &str| app.http_request(method, path);
    let form: Value = anonymous(reqwest::Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["case_id"], id.as_str());
    assert_eq!(form["answered"], false);
    assert!(form.get("contact").is_none() && form.get("description").is_none());

    // A token changed in one character (its sealed middle) is not there.
    let mut chars: Vec<char> = path.chars().collect();
    let middle = chars.len() - 12;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    let average = json!({"level": "average", "reasons": ["speed"]});
    let sent = anonymous(reqwest::Method::POST, &forged)
        .json(&average)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::NOT_FOUND);

    let sent = anonymous(reqwest::Method::POST, &path)
        .json(&average)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    let case = app.case_as_staff(&id).await;
    assert_eq!(case["survey"]["answer"]["level"], "average");
    assert_eq!(case["survey"]["answer"]["reasons"], json!(["speed"]));
    let last = case["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["actor"]["id"], "han-mei",
        "recorded as the customer's: {last}"
    );
    let again = anonymous(reqwest::Method::POST, &path)
        .json(&json!({"level": "satisfied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "the link works once");

    // Another case's link, past the survey's window (14 days).
    let late = resolved_complaint(&app, "han-mei").await;
    let (_, link) = json(
        app.post(&format!("/v1/cases/{late}/survey/link"), &agent, &json!({}))
            .await,
    )
    .await;
    app.advance_clock(15 * 24).await;
    let expired = anonymous(reqwest::Method::POST, link["path"].as_str().unwrap())
        .json(&json!({"level": "satisfied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::CONFLICT);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["rule"], "survey-expired");
    // A customer's own token is no link: another customer's case is still not there.
    let (status, _) = answer(
        &app,
        &late,
        &app.customer("mallory"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tags_come_from_the_policy_vocabulary_and_only_on_a_settled_case() {
    let app = TestApp::spawn().await;
    let quality = app.token(Role::Quality, "quality-1");
    let (status, open) = json(
        app.post(
            "/v1/cases",
            &app.customer("c-9"),
            &json!({"type": "complaint", "description": "Still waiting."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let tags = json!({"reason": "late_delivery", "responsibility": "logistics"});
    let put = |id: String, body: Value, token: String| {
        let app = &app;
        async move {
            json(
                app.request(
                    reqwest::Method::PUT,
                    &format!("/v1/cases/{id}/tags"),
                    &token,
                )
                .json(&body)
                .send()
                .await
                .unwrap(),
            )
            .await
        }
    };
    let open_id = open["id"].as_str().unwrap().to_owned();
    let (status, refused) = put(open_id.clone(), tags.clone(), quality.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["rule"], "case-open");

    let id = resolved_complaint(&app, "c-9").await;
    let (status, refused) = put(
        id.clone(),
        json!({"reason": "aliens", "defect": "electrical", "responsibility": "logistics"}),
        quality.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused.to_string().contains("reason"), "{refused}");
    let (status, _) = put(id.clone(), tags.clone(), app.customer("c-9")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, tagged) = put(id.clone(), tags, quality.clone()).await;
    assert_eq!(status, StatusCode::OK, "{tagged}");
    assert_eq!(tagged["tags"]["reason"], "late_delivery");
    assert_eq!(tagged["tags"]["by"], "quality-1");

    // A code the merchant adds to the vocabulary is accepted from then on.
    let (status, _) = app
        .change_policy(|p| {
            p["feedback"]["tags"]["reasons"]
                .as_array_mut()
                .unwrap()
                .push(json!({"code": "gift_return", "en": "Unwanted gift", "zh": "礼品退回"}))
        })
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, retagged) = put(
        id,
        json!({"reason": "gift_return", "responsibility": "none"}),
        quality,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{retagged}");
    assert_eq!(retagged["tags"]["reason"], "gift_return");
}

#[tokio::test]
async fn a_resolved_case_is_called_back_when_the_timers_make_it_due() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-1");
    let id = resolved_complaint(&app, "wei").await;
    let case = app.case_as_staff(&id).await;
    assert_eq!(case["callback"]["kind"], "after_service");
    assert_eq!(case["callback"]["state"], "scheduled");
    let queue = |due: bool| {
        let (app, agent) = (&app, agent.clone());
        async move {
            app.listed_ids(&format!("/v1/callbacks?due={due}"), &agent)
                .await
        }
    };
    assert_eq!(queue(false).await, std::slice::from_ref(&id));
    assert!(queue(true).await.is_empty(), "not due for three days");
    let (status, refused) = json(app.get("/v1/callbacks", &app.customer("wei")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    app.advance_clock(3 * 24 + 1).await;
    let case = app.case_as_staff(&id).await;
    assert_eq!(
        case["callback"]["state"], "due",
        "the timers made it due: {case}"
    );
    assert_eq!(queue(true).await, std::slice::from_ref(&id));

    let record = |body: Value| {
        let (app, agent, id) = (&app, agent.clone(), id.clone());
        async move {
            json(
                app.post(&format!("/v1/cases/{id}/callback"), &agent, &body)
                    .await,
            )
            .await
        }
    };
    let (status, tried) = record(json!({"outcome": "no_answer"})).await;
    assert_eq!(status, StatusCode::OK, "{tried}");
    assert_eq!(tried["callback"]["state"], "scheduled");
    assert_eq!(tried["callback"]["attempts"], 1);
    assert!(queue(true).await.is_empty(), "tried again tomorrow");
    let (status, refused) = record(json!({"outcome": "no_answer", "level": "satisfied"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (status, done) =
        record(json!({"outcome": "reached", "level": "very_satisfied", "note": "All good."})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(
        done.get("callback").is_none(),
        "no key customer: no next call: {done}"
    );
    assert_eq!(done["callbacks"].as_array().unwrap().len(), 2);
    assert!(queue(false).await.is_empty());
    let (status, none) = record(json!({"outcome": "reached"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{none}");
}

#[tokio::test]
async fn a_complaint_about_a_repair_sends_it_back_and_counts_against_its_technician() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let repair = resolved(&app, "li-lei", "SN-7").await;
    let owner = app.customer("li-lei");

    // Someone else's case, or a complaint field on another type, is refused.
    let about = |token: &str, t: &str| {
        let (app, token, t, repair) = (&app, token.to_owned(), t.to_owned(), repair.clone());
        async move {
            json(
                app.post(
                    "/v1/cases",
                    &token,
                    &json!({"type": t, "about_case": repair, "description": "The picture is gone again."}),
                )
                .await,
            )
            .await
        }
    };
    let (status, _) = about(&app.customer("mallory"), "complaint").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another customer's case is not there"
    );
    let (status, _) = about(&owner, "technical_support").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, complaint_case) = about(&owner, "complaint").await;
    assert_eq!(status, StatusCode::CREATED, "{complaint_case}");
    assert_eq!(complaint_case["complaint"]["about"], repair.as_str());
    assert_eq!(complaint_case["complaint"]["about_technician"], "tech-a");
    let sent_back = app.case_as_staff(&repair).await;
    assert_eq!(sent_back["status"], "in_progress", "{sent_back}");
    assert_eq!(sent_back["reopened"]["complaint"], complaint_case["id"]);
    let agent = app.token(Role::Agent, "agent-1");
    let (_, queue) = json(app.get("/v1/cases?status=in_progress", &agent).await).await;
    let listed = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == repair.as_str())
        .unwrap_or_else(|| panic!("back in customer service's queue: {queue}"));
    assert_eq!(listed["reopened_by"], complaint_case["id"]);

    // Settled without naming anyone: it counts against the repair's technician.
    let id = complaint_case["id"].as_str().unwrap();
    let (status, settled) = complaint(
        &app,
        id,
        &agent,
        &json!({"action": "resolve", "resolution": "Replaced the board under warranty."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settled}");
    assert_eq!(settled["complaint"]["against"], "tech-a");
    let (_, report) = json(
        app.get(&wide_period(), &app.token(Role::Manager, "manager-1"))
            .await,
    )
    .await;
    let tech = report["technicians"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["technician"] == "tech-a")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(tech["repairs"], 1);
    assert_eq!(tech["complaints"], 1);
    assert_eq!(tech["on_time"]["met"], 1, "{tech}");
    assert_eq!(
        report["without_complaints"],
        json!([]),
        "a complaint: no reward"
    );
    assert_eq!(report["reopened"]["complaint"], 1);
}

#[tokio::test]
async fn a_complaint_not_answered_in_time_goes_to_a_manager() {
    let app = TestApp::spawn().await;
    let (status, filed) = json(
        app.post(
            "/v1/cases",
            &app.customer("c-3"),
            &json!({"type": "complaint", "description": "Nobody answers the hotline."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = filed["id"].as_str().unwrap();
    assert_eq!(filed["complaint"]["handler"], "agent");
    app.advance_clock(47).await;
    assert_eq!(app.case_as_staff(id).await["complaint"]["handler"], "agent");
    app.advance_clock(2).await;
    let overdue = app.case_as_staff(id).await;
    assert_eq!(overdue["complaint"]["handler"], "manager", "{overdue}");
    assert_eq!(overdue["complaint"]["overdue"], true);
    assert_eq!(overdue["priority"], "urgent");
    let manager = app.token(Role::Manager, "manager-1");
    let (_, queue) = json(
        app.get("/v1/cases?type=complaint&handler=manager", &manager)
            .await,
    )
    .await;
    assert_eq!(queue["items"][0]["id"], id, "{queue}");
    let (status, _) = complaint(
        &app,
        id,
        &app.token(Role::Agent, "agent-1"),
        &json!({"action": "answer", "note": "Calling now."}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a manager's now");
    let (status, answered) = complaint(
        &app,
        id,
        &manager,
        &json!({"action": "answer", "note": "Called: a technician comes tomorrow."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    let (_, report) = json(app.get(&wide_period(), &manager).await).await;
    assert_eq!(
        report["deadlines"]["complaint_answer"]["missed"], 1,
        "{report}"
    );
}

#[tokio::test]
async fn a_key_customer_reached_after_a_repair_is_called_again_ninety_days_later() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    // An annual-contract customer's repair: a key customer.
    let id = resolved(&app, "li-lei", "SN-9").await;
    let case = app.case_as_staff(&id).await;
    assert_eq!(case["work"]["contract"], true, "{case}");
    assert_eq!(case["callback"]["kind"], "after_service");
    let (status, called) = json(
        app.post(
            &format!("/v1/cases/{id}/callback"),
            &app.token(Role::Agent, "agent-1"),
            &json!({"outcome": "reached", "level": "satisfied"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert_eq!(called["callback"]["kind"], "key_customer");
    assert_eq!(called["callback"]["state"], "scheduled");
    let at: chrono::DateTime<chrono::Utc> = called["callbacks"][0]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let due: chrono::DateTime<chrono::Utc> = called["callback"]["due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due - at, chrono::Duration::days(90));
}
