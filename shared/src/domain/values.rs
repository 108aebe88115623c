//! Newtypes that parse: once a value of one of these types exists, it is valid.
//!
//! They deserialize through their parser (`#[serde(try_from = "String")]`), so a request body
//! with a bad id, phone number or amount never reaches a handler as a plain string.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::InvalidField;

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $parse:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: impl Into<String>) -> Result<Self, String> {
                let parse: fn(String) -> Result<String, String> = $parse;
                parse(raw.into()).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                Self::parse(raw)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Identifiers become parts of DynamoDB keys (`CUSTOMER#<id>`), so the key separator and
/// control characters are refused, and the length is bounded.
fn key_safe(raw: String, what: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if trimmed.len() > max {
        return Err(format!("{what} must be at most {max} characters"));
    }
    if trimmed
        .chars()
        .any(|c| c == '#' || c.is_control() || c.is_whitespace())
    {
        return Err(format!(
            "{what} must not contain '#', spaces or control characters"
        ));
    }
    Ok(trimmed.to_owned())
}

string_newtype!(
    /// Who a case belongs to: the identity provider's subject (`sub`) of the customer.
    CustomerId,
    |raw| key_safe(raw, "customer id", 128)
);

string_newtype!(
    /// A storefront's order id, kept as a string: Shopify's ids exceed 2^53.
    OrderId,
    |raw| key_safe(raw, "order id", 64)
);

string_newtype!(
    /// An e-mail address, as a listing names a customer by it: trimmed, lower case, with an
    /// `@`, without spaces or control characters, at most 254 characters.
    Email,
    |raw| {
        let email = raw.trim().to_ascii_lowercase();
        let ok = email.len() <= 254
            && email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
            && !email.chars().any(|c| c.is_control() || c.is_whitespace());
        if ok {
            Ok(email)
        } else {
            Err(format!("'{raw}' is not an e-mail address"))
        }
    }
);

string_newtype!(
    /// The client's `Idempotency-Key` header: printable ASCII, at most 255 characters.
    IdempotencyKey,
    |raw| {
        if raw.is_empty() || raw.len() > 255 {
            return Err("Idempotency-Key must be 1 to 255 characters".into());
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("Idempotency-Key must be printable ASCII without spaces".into());
        }
        Ok(raw)
    }
);

/// A case's id is also its short number, the one read over the phone: `AS` + year and month
/// of filing + at least five digits (the seeds number service orders by month and year, then
/// a number). New cases are drawn ([`CaseId::draw`]): the day of the month and eight random
/// digits, e.g. `AS2611-0248371592`, so that filing needs no counter (a second write on every
/// filing, and one hot item at a sale-day peak); the filing's transaction refuses a number
/// already taken, and the filing draws again.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(String);

impl CaseId {
    /// A new case's number on `day` (the merchant's calendar): `random` gives its last eight
    /// digits. Among the cases of one day, two draws collide with a chance of one in 10^8.
    pub fn draw(day: chrono::NaiveDate, random: u64) -> Self {
        use chrono::Datelike;
        Self(format!(
            "AS{:02}{:02}-{:02}{:08}",
            day.year().rem_euclid(100),
            day.month(),
            day.day(),
            random % 100_000_000
        ))
    }

    pub fn new(year: i32, month: u32, sequence: u64) -> Self {
        Self(format!(
            "AS{:02}{:02}-{:05}",
            year.rem_euclid(100),
            month,
            sequence
        ))
    }

    pub fn parse(raw: impl Into<String>) -> Result<Self, String> {
        let raw: String = raw.into();
        let upper = raw.trim().to_ascii_uppercase();
        let bad = || format!("'{raw}' is not a case number like AS2611-00042");
        let rest = upper.strip_prefix("AS").ok_or_else(bad)?;
        let (yymm, seq) = rest.split_once('-').ok_or_else(bad)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if yymm.len() != 4 || !digits(yymm) || seq.len() < 5 || seq.len() > 12 || !digits(seq) {
            return Err(bad());
        }
        let month: u32 = yymm[2..].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(raw)
    }
}
impl From<CaseId> for String {
    fn from(value: CaseId) -> String {
        value.0
    }
}
impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number, normalised to digits with an optional leading `+`. Accepts the usual
/// separators (spaces, dashes, dots, parentheses) that people type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: impl Into<String>) -> Result<Self, String> {
        let raw: String = raw.into();
        let mut out = String::with_capacity(raw.len());
        for (i, c) in raw.trim().chars().enumerate() {
            match c {
                '+' if i == 0 => out.push('+'),
                '0'..='9' => out.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(format!("'{raw}' is not a phone number")),
            }
        }
        let digits = out.trim_start_matches('+').len();
        if !(6..=15).contains(&digits) {
            return Err(format!("'{raw}' is not a phone number (6 to 15 digits)"));
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(raw)
    }
}
impl From<Phone> for String {
    fn from(value: Phone) -> String {
        value.0
    }
}

/// An ISO 4217 currency code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const CNY: Currency = Currency(*b"CNY");

    pub fn parse(raw: &str) -> Result<Self, String> {
        let bytes = raw.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Self([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(format!("'{raw}' is not an ISO 4217 currency code like CNY"))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}
impl From<Currency> for String {
    fn from(value: Currency) -> String {
        value.as_str().to_owned()
    }
}

/// The largest amount any field takes, in minor units: 10^13 (a hundred billion yuan in fen).
/// Bounded so that a price times any allowed quantity (at most 100 000) still fits an `i64`,
/// and so that no sum of a request's amounts can overflow.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

/// Money in integer minor units (fen for CNY), `0..=MAX_AMOUNT_MINOR`: never a float, never
/// negative, never large enough to overflow a sum, so refunds are exact. The currency travels
/// beside it (a request's or an order's).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);
    pub const MAX: Amount = Amount(MAX_AMOUNT_MINOR);

    /// For `skip_serializing_if`: an amount of nothing is left out.
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    pub fn new(minor: i64) -> Result<Self, String> {
        if (0..=MAX_AMOUNT_MINOR).contains(&minor) {
            Ok(Self(minor))
        } else {
            Err(format!(
                "must be an amount in minor units from 0 to {MAX_AMOUNT_MINOR}"
            ))
        }
    }

    /// An amount written in the code, checked when it is compiled: use it in a `const` block,
    /// `const { Amount::of(500_00) }`, so that a bad literal fails the build, not a request.
    pub const fn of(minor: i64) -> Self {
        assert!(
            minor >= 0 && minor <= MAX_AMOUNT_MINOR,
            "amount out of range"
        );
        Self(minor)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Amount {
    type Error = String;
    fn try_from(minor: i64) -> Result<Self, String> {
        Self::new(minor)
    }
}
impl From<Amount> for i64 {
    fn from(value: Amount) -> i64 {
        value.0
    }
}
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The calendar this system reasons in: dates and times from 1970 to 2200. Anything outside is
/// a typo or an attack, and refusing it keeps every date sum far from chrono's limits.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// Whether a date lies in the calendar this system reasons in.
pub fn sane_date(date: NaiveDate) -> bool {
    (EARLIEST_DATE..=LATEST_DATE).contains(&date)
}

/// Whether an instant lies in the calendar this system reasons in.
pub fn sane_time(at: DateTime<Utc>) -> bool {
    sane_date(at.date_naive())
}

/// The field error for a date or time outside [`sane_date`].
pub fn date_out_of_range(field: &str) -> InvalidField {
    InvalidField::new(field, "must be a date from 1970-01-01 to 2200-12-31")
}

/// Free text from a person, trimmed and bounded so that one field cannot fill an item (a
/// DynamoDB item holds at most 400 KB).
pub fn bounded_text(field: &str, raw: &str, max_chars: usize) -> Result<String, InvalidField> {
    let text = raw.trim();
    if text.chars().count() > max_chars {
        return Err(InvalidField::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(InvalidField::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_number_is_readable_and_round_trips() {
        let id = CaseId::new(2026, 11, 42);
        assert_eq!(id.as_str(), "AS2611-00042");
        assert_eq!(CaseId::parse("as2611-00042").unwrap(), id);
        assert_eq!(CaseId::new(2026, 1, 1_234_567).as_str(), "AS2601-1234567");
    }

    #[test]
    fn a_drawn_case_number_names_its_month_and_day_and_parses() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let id = CaseId::draw(day, 48_371_592);
        assert_eq!(id.as_str(), "AS2611-0248371592");
        assert_eq!(CaseId::parse(id.as_str()).unwrap(), id);
        assert_eq!(CaseId::draw(day, 7).as_str(), "AS2611-0200000007");
        assert_eq!(
            CaseId::draw(day, u64::MAX).as_str().len(),
            "AS2611-0248371592".len()
        );
    }

    #[test]
    fn malformed_case_numbers_are_refused() {
        for bad in [
            "",
            "AS2611",
            "AS2613-00001",
            "XX2611-00001",
            "AS2611-12",
            "AS26a1-00001",
        ] {
            assert!(CaseId::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn phone_numbers_are_normalised_and_nonsense_refused() {
        assert_eq!(
            Phone::parse("+86 138-0013-8000").unwrap().as_str(),
            "+8613800138000"
        );
        assert_eq!(
            Phone::parse("(010) 6552 9988").unwrap().as_str(),
            "01065529988"
        );
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("123").is_err());
        assert!(Phone::parse("1+23456789").is_err());
    }

    #[test]
    fn ids_that_would_break_a_key_are_refused() {
        assert!(CustomerId::parse("cust#1").is_err());
        assert!(CustomerId::parse("  ").is_err());
        assert!(CustomerId::parse("a".repeat(129)).is_err());
        assert_eq!(CustomerId::parse(" c-1 ").unwrap().as_str(), "c-1");
    }

    #[test]
    fn amounts_are_bounded_both_ways_and_currencies_are_iso_codes() {
        assert!(Amount::new(-1).is_err());
        assert!(Amount::new(MAX_AMOUNT_MINOR + 1).is_err());
        assert!(Amount::new(i64::MIN).is_err());
        assert_eq!(Amount::new(MAX_AMOUNT_MINOR).unwrap(), Amount::MAX);
        assert!(serde_json::from_str::<Amount>("1e20").is_err());
        assert!(serde_json::from_str::<Amount>("9223372036854775807").is_err());
        assert_eq!(
            serde_json::from_str::<Amount>("399900").unwrap().get(),
            399900
        );
        assert!(Currency::parse("cny").is_err());
        assert_eq!(Currency::parse("EUR").unwrap().as_str(), "EUR");
    }

    #[test]
    fn dates_outside_1970_to_2200_are_not_sane() {
        assert!(sane_date("1970-01-01".parse().unwrap()));
        assert!(sane_date("2200-12-31".parse().unwrap()));
        assert!(!sane_date("1969-12-31".parse().unwrap()));
        assert!(!sane_date("2201-01-01".parse().unwrap()));
        assert!(!sane_date("+262142-12-31".parse().unwrap()));
        assert!(!sane_time(DateTime::<Utc>::MIN_UTC));
    }
}

/// The published contract's view of the two values whose stored form is not their JSON form.
mod schemas {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{RefOr, Schema};

    impl utoipa::PartialSchema for super::Currency {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z]{3}$"))
                .description(Some("An ISO 4217 currency code, upper case."))
                .examples(["CNY"])
                .into()
        }
    }
    impl utoipa::ToSchema for super::Currency {}

    impl utoipa::PartialSchema for super::Amount {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .maximum(Some(super::MAX_AMOUNT_MINOR))
                .description(Some("Money in integer minor units (fen for CNY)."))
                .examples([12_900])
                .into()
        }
    }
    impl utoipa::ToSchema for super::Amount {}
}
