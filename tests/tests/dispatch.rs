//! Dispatch end to end on the local stack: technicians, bookings held by conditional writes,
//! suggestions, a work order from booking to exit inspection, the on-site clock and its
//! escalations, the workshop's working days, repeat repairs, tools lent once.

use aftersales::domain::identity::Role;
use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc, Weekday};
use e2e::{StatusCode, TestApp, json};
use reqwest::Method;
use serde_json::{Value, json};

fn at(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a time: {value}"))
        .parse()
        .unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

async fn work(app: &TestApp, id: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json(
        app.post(&format!("/v1/cases/{id}/work"), token, &body)
            .await,
    )
    .await
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    json(app.get(path, token).await).await
}

/// The steps of the case's timeline that are work steps, in order.
fn work_steps(case: &Value) -> Vec<(String, String)> {
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "work")
        .map(|e| {
            (
                e["step"]["step"].as_str().unwrap().to_owned(),
                e["actor"]["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_technicians_time_book_it_once_and_the_rest_are_409() {
    let app = TestApp::spawn().await;
    let wednesday = app.advance_to(Weekday::Wed, 8).await;
    app.put_technician("tech-wang", "Wang Qiang", "city", 50)
        .await;
    let mut cases = Vec::new();
    for n in 0..50 {
        // Contract customers in the suburbs (3 hours to be there).
        cases.push(
            app.work_order(
                &format!("c-{n}"),
                &format!("SN-{n}"),
                json!({"area": "suburbs"}),
            )
            .await,
        );
    }
    let start = (wednesday + Duration::hours(6)).with_timezone(&Utc);
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let requests = cases.iter().map(|id| {
        work(
            &app,
            id,
            &dispatcher,
            json!({"action": "book", "start": start, "technician": "tech-wang"}),
        )
    });
    let answers = futures::future::join_all(requests).await;
    let booked = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(booked, 1, "{answers:?}");
    assert_eq!(refused.len(), 49, "{answers:?}");
    let by_slot = refused.iter().filter(|b| b["rule"] == "slot-taken").count();
    eprintln!(
        "50 concurrent bookings: 1 booked, {by_slot} refused by the slot's condition, {} by the read",
        refused.len() - by_slot
    );
    for body in refused {
        assert!(
            ["slot-taken", "technician-not-free"].contains(&body["rule"].as_str().unwrap_or("")),
            "a 409 names why: {body}"
        );
    }
    // The day sheet holds exactly one visit at that time.
    let (status, sheet) = get(
        &app,
        &format!("/v1/dispatch/day?date={}", wednesday.date_naive()),
        &dispatcher,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let bookings = sheet["technicians"][0]["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 1, "{sheet}");
    assert_eq!(at(&bookings[0]["start"]), start);
}

#[tokio::test]
async fn a_contract_customer_in_the_city_is_due_in_two_hours_and_a_miss_goes_once_to_the_dispatcher_then_once_to_the_manager()
 {
    let app = TestApp::spawn().await;
    let wednesday = app.advance_to(Weekday::Wed, 9).await;
    app.put_technician("tech-li", "Li Ming", "city", 8).await;
    let id = app.work_order("c-1", "SN-1", json!({})).await;
    let case = app.case_as_staff(&id).await;
    let accepted = at(&case["work"]["accepted_at"]);
    assert_eq!(
        at(&case["work"]["due"]),
        accepted + Duration::hours(2),
        "{case}"
    );
    assert!(accepted >= wednesday.with_timezone(&Utc));
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    // Booked, but the technician never starts.
    let (status, suggestions) =
        get(&app, &format!("/v1/cases/{id}/suggestions"), &dispatcher).await;
    assert_eq!(status, StatusCode::OK, "{suggestions}");
    let first = &suggestions[0];
    assert_eq!(first["technician"], "tech-li", "{suggestions}");
    let (status, booked) = work(
        &app,
        &id,
        &dispatcher,
        json!({"action": "book", "start": first["start"], "technician": "tech-li"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{booked}");

    let escalations = |case: &Value| {
        case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["step"]["step"] == "late")
            .map(|e| e["step"]["to"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // Sweeps before the promise: nothing.
    app.advance_clock(1).await;
    assert!(escalations(&app.case_as_staff(&id).await).is_empty());
    // Past it: the dispatcher, once, however many sweeps run.
    app.advance_clock(1).await;
    for _ in 0..3 {
        app.http
            .post(format!("{}/_dev/timers/run", app.base))
            .send()
            .await
            .expect("a sweep");
    }
    let case = app.case_as_staff(&id).await;
    assert_eq!(escalations(&case), ["dispatcher"], "{case}");
    assert_eq!(case["work"]["late"], true);
    let (_, late) = get(&app, "/v1/work-orders?late=true", &dispatcher).await;
    let listed: Vec<&Value> = late["items"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 1, "{late}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["work"]["late"], true);
    assert_eq!(listed[0]["work"]["escalated_to"], "dispatcher");
    // Later: the manager, once; then nothing more.
    for _ in 0..6 {
        app.advance_clock(1).await;
    }
    let case = app.case_as_staff(&id).await;
    assert_eq!(escalations(&case), ["dispatcher", "manager"], "{case}");
    let manager = app.token(Role::Manager, "manager-1");
    let (_, report) = get(&app, "/v1/dispatch/report", &manager).await;
    assert_eq!(
        report["technicians"][0]["stats"]["late"], 1,
        "counted once: {report}"
    );
}

#[tokio::test]
async fn a_workshop_repair_taken_the_friday_before_a_holiday_week_is_due_counting_the_make_up_saturday()
 {
    let app = TestApp::spawn().await;
    let friday = app.advance_to(Weekday::Fri, 10).await.date_naive();
    // The week after is a holiday (Monday to Friday), made up on the Saturday before it.
    let holidays: Vec<String> = (3..=7)
        .map(|d| (friday + Duration::days(d)).to_string())
        .collect();
    let saturday = (friday + Duration::days(1)).to_string();
    let (status, saved) = app
        .change_policy(|p| {
            p["calendar"] = json!({"holidays": holidays, "working_weekends": [saturday]})
        })
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let id = app
        .work_order("c-1", "SN-1", json!({"kind": "workshop"}))
        .await;
    let case = app.case_as_staff(&id).await;
    let accepted = at(&case["work"]["accepted_at"]).with_timezone(&beijing());
    let due = at(&case["work"]["due"]).with_timezone(&beijing());
    // Five working days: the make-up Saturday, then (past the holiday week and its weekend)
    // Monday to Thursday of the week after.
    let expected = friday + Duration::days(13);
    assert_eq!(expected.weekday(), Weekday::Thu);
    assert_eq!(due.date_naive(), expected, "{case}");
    assert_eq!(due.time(), accepted.time(), "at the same time of day");
}

#[tokio::test]
async fn a_repair_goes_from_suggestion_to_exit_inspection_with_every_step_on_its_timeline_and_other_technicians_see_nothing()
 {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-near", "Zhang Wei", "city", 8)
        .await;
    app.put_technician("tech-far", "Chen Jie", "remote", 8)
        .await;
    let id = app
        .work_order(
            "li-lei",
            "SN-42",
            json!({"tools": ["ESD kit"], "parts_to_bring": ["PB-55X <power board>"], "cash_advance_minor": 20000, "balance_due_minor": 15000}),
        )
        .await;
    let customer = app.customer("li-lei");
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let near = app.token(Role::Technician, "tech-near");
    let far = app.token(Role::Technician, "tech-far");

    // The suggestion: both fit, the nearer band first.
    let (_, suggestions) = get(&app, &format!("/v1/cases/{id}/suggestions"), &dispatcher).await;
    let ranked: Vec<&str> = suggestions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["technician"].as_str().unwrap())
        .collect();
    assert_eq!(ranked, ["tech-near", "tech-far"], "{suggestions}");
    let (status, booked) = work(
        &app,
        &id,
        &dispatcher,
        json!({"action": "book", "start": suggestions[0]["start"], "technician": "tech-near"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{booked}");

    // The customer sees who comes and when; the other technician sees nothing of it.
    let (_, mine) = get(&app, &format!("/v1/cases/{id}"), &customer).await;
    assert_eq!(mine["work"]["booking"]["technician_name"], "Zhang Wei");
    // ...and what they will pay, not the merchant's internals (staff see those).
    assert_eq!(mine["work"]["balance_due_minor"], 15000);
    for internal in ["cash_advance_minor", "tools", "parts_to_bring"] {
        assert!(mine["work"].get(internal).is_none(), "{internal}: {mine}");
    }
    let staff = app.case_as_staff(&id).await;
    assert_eq!(staff["work"]["cash_advance_minor"], 20000);
    assert_eq!(staff["work"]["tools"], json!(["ESD kit"]));
    assert_eq!(mine["work"]["booking"]["start"], suggestions[0]["start"]);
    for path in [
        format!("/v1/cases/{id}"),
        format!("/v1/cases/{id}/slip"),
        format!("/v1/cases/{id}/slip/print"),
    ] {
        let (status, body) = get(&app, &path, &far).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, _) = work(&app, &id, &far, json!({"action": "start"})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another technician cannot act on it"
    );
    let (_, theirs) = get(&app, "/v1/work-orders", &far).await;
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    let (_, own) = get(&app, "/v1/work-orders", &near).await;
    assert_eq!(own["items"][0]["id"], id.as_str(), "{own}");

    // The slip, as JSON and as a page in both languages (what the customer typed escaped).
    let (status, slip) = get(&app, &format!("/v1/cases/{id}/slip"), &near).await;
    assert_eq!(status, StatusCode::OK, "{slip}");
    assert_eq!(slip["address"], "1 Jiefang Road, Wuhan");
    assert_eq!(slip["balance_due_minor"], 15000);
    for (lang, title, money) in [
        ("zh-CN", "售后人员派遣单", "需要收回的尾款"),
        ("en", "Dispatch slip", "Balance to collect"),
    ] {
        let page = app
            .get(&format!("/v1/cases/{id}/slip/print?lang={lang}"), &near)
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text().await.unwrap();
        assert!(html.contains(title) && html.contains(money), "{html}");
        assert!(
            html.contains("PB-55X &lt;power board&gt;"),
            "escaped: {html}"
        );
        assert!(html.contains("150.00"), "{html}");
    }

    // On site: started, waiting for parts, back in repair.
    let (status, started) = work(&app, &id, &near, json!({"action": "start"})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["work"]["board"], "in_repair");
    for (to, note) in [
        ("waiting_for_parts", "board on order"),
        ("in_repair", "board arrived"),
    ] {
        let (status, moved) = work(
            &app,
            &id,
            &near,
            json!({"action": "set_status", "status": to, "note": note}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        if to == "waiting_for_parts" {
            // Spare parts are promised within the policy's week.
            let parts = at(&moved["work"]["parts_due"]);
            let when = at(&moved["updated_at"]);
            assert_eq!(parts, when + Duration::days(7), "{moved}");
        } else {
            assert!(moved["work"].get("parts_due").is_none(), "{moved}");
        }
    }
    // A change of the agreed work, confirmed by the customer.
    let (status, proposed) = work(
        &app,
        &id,
        &near,
        json!({"action": "propose_change", "description": "Also replace the T-con board", "extra_minor": 8000}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{proposed}");
    assert_eq!(proposed["work"]["board"], "waiting_for_customer");
    let (status, _) = work(
        &app,
        &id,
        &near,
        json!({"action": "answer_change", "accept": true}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the technician cannot answer for the customer"
    );
    let (status, answered) = work(
        &app,
        &id,
        &customer,
        json!({"action": "answer_change", "accept": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["work"]["balance_due_minor"], 23000);
    let (status, _) = work(
        &app,
        &id,
        &near,
        json!({"action": "use_part", "part": "PB-55X power board", "quantity": 1, "unit_price_minor": 12000}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Finished with the customer's code, which only the customer reads.
    let (status, _) = get(&app, &format!("/v1/cases/{id}/work/code"), &near).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, code) = get(&app, &format!("/v1/cases/{id}/work/code"), &customer).await;
    assert_eq!(status, StatusCode::OK, "{code}");
    let code = code["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let finish = |code: &str| json!({"action": "finish", "result": "done", "fault": "power-board", "code": code});
    let (status, refused) = work(&app, &id, &near, finish(wrong)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["rule"], "wrong-code");
    let (status, done) = work(&app, &id, &near, finish(&code)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["work"]["board"], "finished");
    assert!(done["work"]["confirmed_at"].is_string());

    // Exit inspection by quality: the case is resolved.
    let quality = app.token(Role::Quality, "quality-1");
    let (status, inspected) = work(
        &app,
        &id,
        &quality,
        json!({"action": "inspect", "passed": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{inspected}");
    assert_eq!(inspected["status"], "resolved");

    let case = app.case_as_staff(&id).await;
    let steps = work_steps(&case);
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "opened",
            "booked",
            "started",
            "status",
            "status",
            "change_proposed",
            "change_answered",
            "part_used",
            "code_refused",
            "finished",
            "inspected"
        ],
        "{case}"
    );
    let roles: Vec<&str> = steps.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(
        roles,
        [
            "agent",
            "dispatcher",
            "technician",
            "technician",
            "technician",
            "technician",
            "customer",
            "technician",
            "technician",
            "technician",
            "quality"
        ]
    );
    for event in case["timeline"].as_array().unwrap() {
        assert!(
            event["at"].is_string() && event["actor"]["id"].is_string(),
            "who and when: {event}"
        );
    }
    // Done: off the board.
    let (_, board) = get(&app, "/v1/work-orders", &dispatcher).await;
    assert!(board["items"].as_array().unwrap().is_empty(), "{board}");
}

/// Takes a workshop work order from booking to a passed inspection, fault `fault`.
async fn repair_passed(
    app: &TestApp,
    customer: &str,
    serial: &str,
    fault: &str,
    technician: &str,
) -> Value {
    let id = app
        .work_order(customer, serial, json!({"kind": "workshop"}))
        .await;
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let tech = app.token(Role::Technician, technician);
    let (_, times) = get(app, &format!("/v1/cases/{id}/suggestions"), &dispatcher).await;
    let start = times
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["technician"] == technician)
        .unwrap_or_else(|| panic!("{technician} fits: {times}"))["start"]
        .clone();
    let steps = [
        (
            dispatcher.clone(),
            json!({"action": "book", "start": start, "technician": technician}),
        ),
        (tech.clone(), json!({"action": "start"})),
        (
            tech.clone(),
            json!({"action": "finish", "result": "done", "fault": fault}),
        ),
        (
            app.token(Role::Quality, "quality-1"),
            json!({"action": "inspect", "passed": true}),
        ),
    ];
    let mut last = Value::Null;
    for (token, body) in steps {
        let (status, case) = work(app, &id, &token, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {case}");
        last = case;
    }
    last
}

#[tokio::test]
async fn the_same_fault_on_the_same_serial_repaired_again_within_the_window_is_flagged_and_counted()
{
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Mon, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    app.put_technician("tech-b", "Bai Lu", "city", 8).await;
    let first = repair_passed(&app, "c-1", "SN-777", "no-picture", "tech-a").await;
    assert!(first["work"].get("repeat_of").is_none());
    // Another serial, and another fault on the same serial: no repeat.
    repair_passed(&app, "c-2", "SN-888", "no-picture", "tech-b").await;
    app.advance_to(Weekday::Wed, 9).await;
    let other_fault = repair_passed(&app, "c-1", "SN-777", "no-sound", "tech-b").await;
    assert!(other_fault["work"].get("repeat_of").is_none());
    // The same fault again on SN-777: flagged, against tech-a's repair.
    let again = repair_passed(&app, "c-1", "SN-777", "no-picture", "tech-b").await;
    assert_eq!(
        again["work"]["repeat_of"]["case_id"], first["id"],
        "{again}"
    );
    assert_eq!(again["work"]["repeat_of"]["technician"], "tech-a");
    let manager = app.token(Role::Manager, "manager-1");
    let (_, report) = get(&app, "/v1/dispatch/report", &manager).await;
    let stats = |id: &str| {
        report["technicians"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["stats"]
            .clone()
    };
    assert_eq!(
        stats("tech-a"),
        json!({"repairs": 1, "late": 0, "repeats": 1}),
        "{report}"
    );
    assert_eq!(
        stats("tech-b"),
        json!({"repairs": 3, "late": 0, "repeats": 0}),
        "{report}"
    );
    assert_eq!(
        report["products"],
        json!([{"product": "TV-55X", "repairs": 4, "repeats": 1}]),
        "{report}"
    );
}

#[tokio::test]
async fn a_tool_is_lent_once_however_many_ask_at_once_and_lent_again_once_back() {
    let app = TestApp::spawn().await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    app.put_technician("tech-b", "Bai Lu", "city", 8).await;
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let (status, tool) = json(
        app.request(Method::PUT, "/v1/tools/ESD-01", &dispatcher)
            .json(&json!({"name": "ESD workstation kit"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{tool}");
    let asks = (0..20).map(|n| {
        let (app, dispatcher) = (&app, &dispatcher);
        let who = if n % 2 == 0 { "tech-a" } else { "tech-b" };
        async move {
            json(
                app.post(
                    "/v1/tools/ESD-01/lend",
                    dispatcher,
                    &json!({"technician": who}),
                )
                .await,
            )
            .await
        }
    });
    let answers = futures::future::join_all(asks).await;
    let lent = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(lent, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s != StatusCode::OK)
            .all(|(s, b)| *s == StatusCode::CONFLICT && b["rule"] == "tool-not-available")
    );
    let (status, back) = json(
        app.post("/v1/tools/ESD-01/return", &dispatcher, &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert!(back.get("lent_to").is_none());
    let (status, _) = json(
        app.post(
            "/v1/tools/ESD-01/lend",
            &dispatcher,
            &json!({"technician": "tech-b"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, unknown) = json(
        app.post(
            "/v1/tools/ESD-02/lend",
            &dispatcher,
            &json!({"technician": "tech-b"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
}

#[tokio::test]
async fn a_customer_books_from_the_times_offered_and_a_cancelled_case_gives_its_time_back() {
    let app = TestApp::spawn().await;
    let thursday = app.advance_to(Weekday::Thu, 8).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let first = app
        .work_order("c-1", "SN-1", json!({"area": "remote"}))
        .await;
    let second = app
        .work_order("c-2", "SN-2", json!({"area": "remote"}))
        .await;
    let one = app.customer("c-1");
    let two = app.customer("c-2");
    let (status, times) = get(&app, &format!("/v1/cases/{first}/times"), &one).await;
    assert_eq!(status, StatusCode::OK, "{times}");
    let offered = times.as_array().unwrap();
    // 9:00 to 17:00 on the half hour: 17 starts of an hour's visit.
    assert_eq!(offered.len(), 17, "{times}");
    assert_eq!(
        at(&offered[0]["start"]),
        (thursday + Duration::hours(1)).with_timezone(&Utc)
    );
    let (status, _) = get(&app, &format!("/v1/cases/{first}/times"), &two).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another customer's case");
    // A customer names a time, not a technician.
    let (status, refused) = work(
        &app,
        &first,
        &one,
        json!({"action": "book", "start": offered[0]["start"], "technician": "tech-a"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, booked) = work(
        &app,
        &first,
        &one,
        json!({"action": "book", "start": offered[0]["start"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{booked}");
    assert_eq!(booked["work"]["booking"]["technician_name"], "An Na");
    // The second customer is offered everything but that hour.
    let (_, times) = get(&app, &format!("/v1/cases/{second}/times"), &two).await;
    let starts: Vec<DateTime<Utc>> = times
        .as_array()
        .unwrap()
        .iter()
        .map(|t| at(&t["start"]))
        .collect();
    let nine = at(&offered[0]["start"]);
    assert!(
        !starts.contains(&nine) && !starts.contains(&(nine + Duration::minutes(30))),
        "{times}"
    );
    let (status, _) = work(
        &app,
        &second,
        &two,
        json!({"action": "book", "start": offered[0]["start"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The first customer cancels their case: the hour is free again.
    let (status, cancelled) = json(
        app.post(
            &format!("/v1/cases/{first}/cancel"),
            &one,
            &json!({"reason": "fixed itself"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, booked) = work(
        &app,
        &second,
        &two,
        json!({"action": "book", "start": offered[0]["start"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{booked}");
}

#[tokio::test]
async fn a_cancelled_cases_promise_is_never_due_again() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    let id = app.work_order("c-1", "SN-1", json!({})).await;
    let customer = app.customer("c-1");
    let (status, _) = json(
        app.post(&format!("/v1/cases/{id}/cancel"), &customer, &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Past the promise and the manager's turn: the timers read nothing due, fire nothing.
    let moved = app.advance_clock(8).await;
    assert_eq!(moved["timers"]["due_read"], 0, "{moved}");
    assert_eq!(moved["timers"]["fired"], 0, "{moved}");
    let case = app.case_as_staff(&id).await;
    assert!(
        work_steps(&case).iter().all(|(step, _)| step != "late"),
        "{case}"
    );
}

/// Bookings of tech-a on two fresh work orders, at `hours` after `morning` each, both decided
/// on the same view of the day before either is written (no read can tell them apart: only
/// the write's conditions), with tech-a's daily `capacity`.
async fn decided_together(
    app: &TestApp,
    morning: DateTime<FixedOffset>,
    hours: [i64; 2],
    capacity: u32,
) -> Vec<(
    aftersales::domain::case::Case,
    aftersales::domain::effects::Decision,
    String,
)> {
    use aftersales::domain::case::work::{WorkCommand, WorkInputs, apply_work};
    use aftersales::domain::identity::Actor;
    use aftersales::domain::policy::Policy;
    use aftersales::domain::values::CaseId;
    let inputs = WorkInputs {
        booking_technician: Some(("tech-a", "An Na", capacity)),
        ..WorkInputs::default()
    };
    let dispatcher = Actor {
        id: "dispatcher-1".into(),
        role: Role::Dispatcher,
        name: None,
    };
    let mut decided = Vec::new();
    for (n, hours) in hours.into_iter().enumerate() {
        let id = app
            .work_order(&format!("c-{n}"), &format!("SN-{n}"), json!({}))
            .await;
        let case = app
            .store
            .case(&CaseId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let book = WorkCommand::Book {
            start: (morning + Duration::hours(hours)).with_timezone(&Utc),
            technician: Some("tech-a".into()),
        };
        let now = morning.with_timezone(&Utc);
        let decision = apply_work(
            &case,
            book,
            dispatcher.clone(),
            now,
            &Policy::default(),
            &inputs,
        )
        .unwrap();
        decided.push((case, decision, id));
    }
    decided
}

#[tokio::test]
async fn two_bookings_decided_on_the_same_view_of_the_day_cannot_both_hold_the_time() {
    let app = TestApp::spawn().await;
    let wednesday = app.advance_to(Weekday::Wed, 8).await;
    let decided = decided_together(&app, wednesday, [2, 2], 8).await;
    let (case, decision, _) = &decided[0];
    app.store
        .save_decision(case, decision, None)
        .await
        .expect("the first holds the time");
    let (case, decision, second) = &decided[1];
    let refused = app.store.save_decision(case, decision, None).await;
    assert!(
        matches!(
            refused,
            Err(aftersales::store::StoreError::Taken("slot-taken", _))
        ),
        "{refused:?}"
    );
    let staff = app.case_as_staff(second).await;
    assert!(
        staff["work"].get("booking").is_none(),
        "nothing of it was written: {staff}"
    );
}

#[tokio::test]
async fn two_bookings_of_different_times_cannot_overfill_a_technicians_day() {
    let app = TestApp::spawn().await;
    let wednesday = app.advance_to(Weekday::Wed, 8).await;
    // One visit a day: each booking, decided on the same empty day, would fit alone.
    let decided = decided_together(&app, wednesday, [2, 5], 1).await;
    let (case, decision, first) = &decided[0];
    app.store
        .save_decision(case, decision, None)
        .await
        .expect("the first fills the day");
    let (case, decision, _) = &decided[1];
    let refused = app.store.save_decision(case, decision, None).await;
    assert!(
        matches!(
            refused,
            Err(aftersales::store::StoreError::Taken(
                "technician-day-full",
                _
            ))
        ),
        "{refused:?}"
    );
    // Cancelling the first frees the day for the second.
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let (status, _) = work(
        &app,
        first,
        &dispatcher,
        json!({"action": "cancel_booking"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.store
        .save_decision(case, decision, None)
        .await
        .expect("room again");
}

#[tokio::test]
async fn a_unit_not_repaired_on_site_goes_to_the_workshop_or_to_an_exchange_awaiting_its_decision()
{
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let tech = app.token(Role::Technician, "tech-a");
    let mut cases = Vec::new();
    for n in 0..2 {
        let id = app
            .work_order(
                &format!("c-{n}"),
                &format!("SN-{n}"),
                json!({"area": "remote"}),
            )
            .await;
        let (_, suggested) = get(&app, &format!("/v1/cases/{id}/suggestions"), &dispatcher).await;
        for (token, body) in [
            (
                &dispatcher,
                json!({"action": "book", "start": suggested[0]["start"], "technician": "tech-a"}),
            ),
            (&tech, json!({"action": "start"})),
        ] {
            let (status, answer) = work(&app, &id, token, body).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        cases.push(id);
    }
    // Depot repair: the workshop's promise (5 working days) replaces the visit's.
    let (status, depot) = work(
        &app,
        &cases[0],
        &tech,
        json!({"action": "finish", "result": "depot_repair", "fault": "main-board"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{depot}");
    assert_eq!(depot["work"]["kind"], "workshop");
    assert_eq!(depot["work"]["board"], "in_repair");
    assert!(at(&depot["work"]["due"]) >= at(&depot["updated_at"]) + Duration::days(5));
    // Replacement: the exchange of return approval opens, awaiting its decision.
    let (status, exchange) = work(
        &app,
        &cases[1],
        &tech,
        json!({"action": "finish", "result": "replacement", "fault": "panel-cracked",
               "exchange": {"kind": "exchange", "reason": "quality_fault", "units": 1,
                            "currency": "CNY", "unit_price_minor": 399900, "replacement_price_minor": 399900}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{exchange}");
    assert_eq!(
        exchange["returns"]["stage"], "awaiting_decision",
        "{exchange}"
    );
    assert_eq!(exchange["work"]["result"], "replacement");
    let agent = app.token(Role::Agent, "agent-1");
    let (_, queue) = get(&app, "/v1/returns?stage=awaiting_decision", &agent).await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == cases[1].as_str()),
        "{queue}"
    );
    let (_, board) = get(&app, "/v1/work-orders", &dispatcher).await;
    let open: Vec<&str> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        open,
        [cases[0].as_str()],
        "the exchange's work order is off the board: {board}"
    );
}
