//! The dispatch slip (售后人员派遣单): what the technician takes to the customer's door, as
//! JSON for the app and as a printable page in Chinese or English. Every string on the page is
//! escaped (a customer wrote the address and the description).

use aftersales::domain::access::Action;
use aftersales::domain::case::Case;
use aftersales::domain::case::work::WorkKind;
use aftersales::domain::order::format_minor;
use aftersales::domain::values::Currency;
use aftersales::http::{ApiError, Principal, QueryParams, visible_case};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;

/// The slip's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Slip {
    pub case_id: String,
    pub kind: WorkKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub district: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technician: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technician_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_start: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_end: Option<DateTime<Utc>>,
    /// 预计停留 (minutes).
    pub expected_minutes: u32,
    pub due: DateTime<Utc>,
    /// 服务内容, with the changes the customer accepted.
    pub service: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    pub fault_described: String,
    pub tools: Vec<String>,
    pub parts_to_bring: Vec<String>,
    pub currency: Currency,
    /// 借款金额.
    pub cash_advance_minor: i64,
    /// 需要收回的尾款.
    pub balance_due_minor: i64,
}

fn slip_of(case: &Case) -> Result<Slip, ApiError> {
    let w = case.work.as_ref().ok_or_else(|| {
        ApiError::from(aftersales::domain::RuleError::state(
            "no-work-order",
            "this case has no work order",
        ))
    })?;
    let mut service = vec![w.service.clone()];
    service.extend(
        w.changes
            .iter()
            .filter(|c| c.accepted == Some(true))
            .map(|c| c.description.clone()),
    );
    Ok(Slip {
        case_id: case.id.to_string(),
        kind: w.kind,
        customer: case.contact.name.clone(),
        phone: case.contact.phone.as_ref().map(|p| p.as_str().to_owned()),
        address: case.contact.address.clone(),
        district: w.district.clone(),
        technician: w.booking.as_ref().map(|b| b.technician.clone()),
        technician_name: w.booking.as_ref().map(|b| b.technician_name.clone()),
        arrival_start: w.booking.as_ref().map(|b| b.start),
        arrival_end: w.booking.as_ref().map(|b| b.end),
        expected_minutes: w.expected_minutes,
        due: w.due,
        service,
        product: case
            .product
            .model
            .clone()
            .or_else(|| case.product.sku.clone()),
        serial_number: case.product.serial_number.clone(),
        fault_described: case.description.clone(),
        tools: w.tools.clone(),
        parts_to_bring: w.parts_to_bring.clone(),
        currency: w.currency,
        cash_advance_minor: w.cash_advance_minor.get(),
        balance_due_minor: w.balance_due_minor.get(),
    })
}

/// `GET /v1/cases/{id}/slip`.
pub async fn json(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Slip>, ApiError> {
    let case = visible_case(&app.store, &principal, &id, Action::ReadSlip).await?;
    Ok(Json(slip_of(&case)?))
}

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PrintParams {
    /// The page's language (zh-CN unless given).
    #[param(inline)]
    lang: Option<Lang>,
}

/// `GET /v1/cases/{id}/slip/print?lang=`: the slip as a page to print.
pub async fn print(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<PrintParams>,
) -> Result<Response, ApiError> {
    let case = visible_case(&app.store, &principal, &id, Action::ReadSlip).await?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let slip = slip_of(&case)?;
    let html = render(&slip, params.lang.unwrap_or_default(), policy.time_zone());
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html,
    )
        .into_response())
}

/// Text for an HTML page: `<`, `>`, `&`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page, every value escaped, times in the merchant's zone.
pub fn render(slip: &Slip, lang: Lang, tz: chrono::FixedOffset) -> String {
    let zh = matches!(lang, Lang::Zh);
    let t = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let time = |at: DateTime<Utc>| at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let none = t("无", "none");
    let list = |items: &[String]| {
        if items.is_empty() {
            escape(none)
        } else {
            items
                .iter()
                .map(|i| escape(i))
                .collect::<Vec<_>>()
                .join(t("、", ", "))
        }
    };
    let opt = |v: &Option<String>| escape(v.as_deref().unwrap_or("—"));
    let arrival = match (slip.arrival_start, slip.arrival_end) {
        (Some(s), Some(e)) => format!("{} – {}", time(s), time(e).split(' ').nth(1).unwrap_or("")),
        _ => t("未预约", "not booked").to_owned(),
    };
    let kind = match (slip.kind, zh) {
        (WorkKind::OnSite, true) => "上门",
        (WorkKind::OnSite, false) => "On site",
        (WorkKind::Workshop, true) => "进店",
        (WorkKind::Workshop, false) => "Workshop",
    };
    let rows = [
        (t("单号", "Case"), escape(&slip.case_id)),
        (t("服务方式", "Service"), kind.to_owned()),
        (t("客户", "Customer"), opt(&slip.customer)),
        (t("电话", "Phone"), opt(&slip.phone)),
        (t("地址", "Address"), opt(&slip.address)),
        (t("区域", "District"), escape(&slip.district)),
        (
            t("技术人员", "Technician"),
            match (&slip.technician_name, &slip.technician) {
                (Some(n), Some(id)) => format!("{} ({})", escape(n), escape(id)),
                _ => t("未派", "not assigned").to_owned(),
            },
        ),
        (t("到达时间", "Arrival"), arrival),
        (
            t("预计停留", "Expected stay"),
            format!("{} {}", slip.expected_minutes, t("分钟", "minutes")),
        ),
        (t("承诺时限", "Promised by"), time(slip.due)),
        (t("产品", "Product"), opt(&slip.product)),
        (t("序列号", "Serial number"), opt(&slip.serial_number)),
        (
            t("故障描述", "Fault described"),
            escape(&slip.fault_described),
        ),
        (t("服务内容", "Service content"), list(&slip.service)),
        (t("携带工具", "Tools to bring"), list(&slip.tools)),
        (t("携带备件", "Parts to bring"), list(&slip.parts_to_bring)),
        (
            t("借款金额", "Cash advance"),
            format!(
                "{} {}",
                slip.currency.as_str(),
                format_minor(slip.cash_advance_minor, slip.currency)
            ),
        ),
        (
            t("需要收回的尾款", "Balance to collect"),
            format!(
                "{} {}",
                slip.currency.as_str(),
                format_minor(slip.balance_due_minor, slip.currency)
            ),
        ),
    ];
    let body: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th>{k}</th><td>{v}</td></tr>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title} {id}</title>\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
th,td{{border:1px solid #444;padding:6px;text-align:left;vertical-align:top}}th{{width:25%;background:#eee}}\
.sign{{margin-top:3em;display:flex;justify-content:space-between}}@media print{{body{{margin:0}}}}</style></head>\
<body><h1>{title}</h1><table>{body}</table><div class=\"sign\"><span>{tech_sign}：________</span><span>{customer_sign}：________</span></div></body></html>",
        lang = if zh { "zh-CN" } else { "en" },
        title = t("售后人员派遣单", "Dispatch slip"),
        id = escape(&slip.case_id),
        tech_sign = t("技术人员签字", "Technician's signature"),
        customer_sign = t("客户签字", "Customer's signature"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_customer_wrote_is_shown_as_text_never_as_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
