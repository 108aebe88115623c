//! The merchant's working calendar, set through the policy and used by every promise counted in
//! working days (here a technical-support review, 2 working days).

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};
use e2e::{StatusCode, TestApp, json};
use serde_json::json;

fn beijing_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

#[tokio::test]
async fn a_review_promised_in_working_days_skips_the_merchants_holidays() {
    let app = TestApp::spawn().await;
    let today = beijing_today();
    let holidays: Vec<String> = (1..=7)
        .map(|d| (today + Duration::days(d)).to_string())
        .collect();
    let (status, saved) = app
        .change_policy(|p| p["calendar"] = json!({"holidays": holidays}))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    let alice = app.customer("alice");
    let (status, case) = json(
        app.post(
            "/v1/cases",
            &alice,
            &json!({"type": "technical_support", "description": "How do I pair the remote?"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    // The second weekday after the holiday week.
    let mut day = today + Duration::days(7);
    let mut left = 2;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    let due: chrono::DateTime<Utc> = case["first_response_due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        due.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
            .date_naive(),
        day,
        "{case}"
    );
}

#[tokio::test]
async fn a_calendar_with_a_weekday_as_a_make_up_day_is_refused_and_named() {
    let app = TestApp::spawn().await;
    let (status, problem) = app
        .change_policy(|p| {
            p["calendar"] = json!({"holidays": ["2026-10-01"], "working_weekends": ["2026-10-01", "2026-10-14"]})
        })
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let fields: Vec<&str> = problem["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"calendar/working_weekends"), "{problem}");
}
