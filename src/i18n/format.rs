//! Locale formats of one language, from ICU4X and its compiled CLDR data:
//! plural categories (`one`, `few`, `other`…), dates ("2 avril 2027",
//! "2 April 2027") and numbers ("1 234 567", "1,234,567"). No month names
//! or plural rules are written here; only the choice of CLDR locale and
//! field sets is.

use icu_datetime::fieldsets::{MD, YMD};
use icu_datetime::input::Date;
use icu_datetime::DateTimeFormatter;
use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use icu_locale::Locale;
use icu_plurals::{PluralCategory, PluralRules};

/// CLDR's data for a bare language is one country's usage, and for English
/// that is the United States ("April 2, 2027"). A locale that names only
/// the language (`en`, a site's `language: en`) formats as the language is
/// written internationally where CLDR has such a variant: `en` → `en-001`
/// ("2 April 2027", what sitegen has always printed). A locale with a
/// region (`en-US`, `en-GB`) is taken as it is.
const INTERNATIONAL: [(&str, &str); 1] = [("en", "en-001")];

/// The date styles of `format_date(style=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// "2 April 2027", "2 avril 2027" (the default).
    Long,
    /// "2 Apr 2027", "2 avr. 2027".
    Medium,
    /// "02/04/2027".
    Short,
    /// "2 Apr", "2 avr.": the start of a range whose end has the year.
    DayMonth,
}

impl DateStyle {
    pub const NAMES: &'static str = "long, medium, short, day_month";

    pub fn parse(name: &str) -> Option<DateStyle> {
        Some(match name {
            "long" => DateStyle::Long,
            "medium" => DateStyle::Medium,
            "short" => DateStyle::Short,
            "day_month" => DateStyle::DayMonth,
            _ => return None,
        })
    }
}

/// The formatters of one locale, made once per build and shared by the
/// render threads.
pub struct Formats {
    plurals: PluralRules,
    long: DateTimeFormatter<YMD>,
    medium: DateTimeFormatter<YMD>,
    short: DateTimeFormatter<YMD>,
    day_month: DateTimeFormatter<MD>,
    numbers: DecimalFormatter,
}

impl std::fmt::Debug for Formats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Formats")
    }
}

impl Formats {
    /// The formats of a BCP 47 locale (`fr-FR`, `en`); Err(reason) if ICU4X
    /// cannot parse it or has no data to fall back on.
    pub fn new(locale: &str) -> Result<Formats, String> {
        let parsed: Locale = locale
            .parse()
            .map_err(|e| format!("{locale:?} is not a BCP 47 locale ({e})"))?;
        let formats_locale: Locale = match INTERNATIONAL.iter().find(|(bare, _)| *bare == locale) {
            Some((_, international)) => international.parse().expect("a valid locale"),
            None => parsed.clone(),
        };
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            format!("no {what} for locale {locale:?} ({e})")
        };
        let date = |fs: YMD| {
            DateTimeFormatter::try_new(formats_locale.clone().into(), fs)
                .map_err(|e| fail("date formats", &e))
        };
        Ok(Formats {
            plurals: PluralRules::try_new(parsed.into(), Default::default())
                .map_err(|e| fail("plural rules", &e))?,
            long: date(YMD::long())?,
            medium: date(YMD::medium())?,
            short: date(YMD::short())?,
            day_month: DateTimeFormatter::try_new(formats_locale.clone().into(), MD::medium())
                .map_err(|e| fail("date formats", &e))?,
            numbers: DecimalFormatter::try_new(formats_locale.into(), Default::default())
                .map_err(|e| fail("number formats", &e))?,
        })
    }

    /// The CLDR plural category of a count: French counts 0 and 1 as
    /// `one`, English only 1.
    pub fn plural(&self, count: i64) -> PluralCategory {
        self.plurals.category_for(count)
    }

    /// `YYYY-MM-DD`, or an RFC 3339 date-time (its date where it was
    /// written, at its own offset), in `style`.
    pub fn date(&self, value: &str, style: DateStyle) -> Result<String, String> {
        let day = parse_date(value)?;
        let date = Date::try_new_iso(day.year(), u8::from(day.month()), day.day())
            .map_err(|e| format!("{value:?} is not a date ({e})"))?;
        Ok(match style {
            DateStyle::Long => self.long.format(&date).to_string(),
            DateStyle::Medium => self.medium.format(&date).to_string(),
            DateStyle::Short => self.short.format(&date).to_string(),
            DateStyle::DayMonth => self.day_month.format(&date).to_string(),
        })
    }

    /// A number as written in templates (`1234567`, `-3`, `2.5`), grouped
    /// and with the decimal separator of the locale.
    pub fn number(&self, value: &str) -> Result<String, String> {
        let n: Decimal = value
            .parse()
            .map_err(|_| format!("{value:?} is not a number"))?;
        Ok(self.numbers.format(&n).to_string())
    }
}

/// The calendar day of a template date value: `2027-04-02`, or an RFC 3339
/// date-time such as `2026-03-14T18:00:00+01:00` (its date at its own
/// offset, as written).
pub fn parse_date(value: &str) -> Result<time::Date, String> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    let value = value.trim();
    time::Date::parse(value, &day)
        .or_else(|_| {
            time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                .map(|t| t.date())
        })
        .map_err(|_| {
            format!("{value:?} is not a date (use YYYY-MM-DD or an RFC 3339 date-time such as 2026-03-14T18:00:00Z)")
        })
}

/// The name of a plural category as string files spell it.
pub fn category_name(c: PluralCategory) -> &'static str {
    match c {
        PluralCategory::Zero => "zero",
        PluralCategory::One => "one",
        PluralCategory::Two => "two",
        PluralCategory::Few => "few",
        PluralCategory::Many => "many",
        PluralCategory::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(locale: &str) -> Vec<&'static str> {
        let f = Formats::new(locale).unwrap();
        [0, 1, 2, 5, 21, 22]
            .iter()
            .map(|n| category_name(f.plural(*n)))
            .collect()
    }

    #[test]
    fn plural_categories_follow_cldr() {
        // French: 0 and 1 are singular.
        assert_eq!(
            categories("fr-FR"),
            ["one", "one", "other", "other", "other", "other"]
        );
        // English: only 1 is.
        assert_eq!(
            categories("en"),
            ["other", "one", "other", "other", "other", "other"]
        );
        // Polish has few and many; Russian too, by the last digits.
        assert_eq!(
            categories("pl"),
            ["many", "one", "few", "many", "many", "few"]
        );
        assert_eq!(
            categories("ru"),
            ["many", "one", "few", "many", "one", "few"]
        );
    }

    #[test]
    fn dates_in_every_style_and_language() {
        let fr = Formats::new("fr-FR").unwrap();
        let en = Formats::new("en").unwrap();
        let gb = Formats::new("en-GB").unwrap();
        let us = Formats::new("en-US").unwrap();
        let d = "2027-04-02";
        assert_eq!(fr.date(d, DateStyle::Long).unwrap(), "2 avril 2027");
        assert_eq!(fr.date(d, DateStyle::Medium).unwrap(), "2 avr. 2027");
        assert_eq!(fr.date(d, DateStyle::Short).unwrap(), "02/04/2027");
        assert_eq!(fr.date(d, DateStyle::DayMonth).unwrap(), "2 avr.");
        // A bare `en` is international English, as sitegen always printed.
        assert_eq!(en.date(d, DateStyle::Long).unwrap(), "2 April 2027");
        assert_eq!(en.date(d, DateStyle::DayMonth).unwrap(), "2 Apr");
        assert_eq!(
            en.date("2025-11-03", DateStyle::Long).unwrap(),
            "3 November 2025"
        );
        assert_eq!(gb.date(d, DateStyle::Long).unwrap(), "2 April 2027");
        assert_eq!(us.date(d, DateStyle::Long).unwrap(), "April 2, 2027");
        assert_eq!(us.date(d, DateStyle::Short).unwrap(), "4/2/27");
        // A date-time is its date where it was written.
        assert_eq!(
            fr.date("2026-03-14T23:30:00-05:00", DateStyle::Long)
                .unwrap(),
            "14 mars 2026"
        );
        assert_eq!(
            en.date("2026-03-14T18:00:00Z", DateStyle::Medium).unwrap(),
            "14 Mar 2026"
        );
    }

    #[test]
    fn bad_dates_and_numbers_are_named() {
        let en = Formats::new("en").unwrap();
        for bad in ["2027-13-01", "2027-02-30", "tomorrow", "", "02/04/2027"] {
            let e = en.date(bad, DateStyle::Long).unwrap_err();
            assert!(e.starts_with(&format!("{bad:?} is not a date")), "{e}");
        }
        assert_eq!(en.number("12a").unwrap_err(), "\"12a\" is not a number");
    }

    #[test]
    fn numbers_are_grouped_per_locale() {
        assert_eq!(
            Formats::new("en").unwrap().number("1234567").unwrap(),
            "1,234,567"
        );
        assert_eq!(
            Formats::new("fr-FR").unwrap().number("1234567.5").unwrap(),
            "1\u{202f}234\u{202f}567,5"
        );
        assert_eq!(
            Formats::new("de").unwrap().number("-1234").unwrap(),
            "-1.234"
        );
    }

    #[test]
    fn date_styles_by_name() {
        for (name, style) in [
            ("long", DateStyle::Long),
            ("medium", DateStyle::Medium),
            ("short", DateStyle::Short),
            ("day_month", DateStyle::DayMonth),
        ] {
            assert_eq!(DateStyle::parse(name), Some(style));
            assert!(DateStyle::NAMES.contains(name));
        }
        assert_eq!(DateStyle::parse("full"), None);
        assert_eq!(DateStyle::parse("Long"), None);
    }

    #[test]
    fn a_locale_icu_cannot_parse_is_named() {
        let e = Formats::new("en_GB").unwrap_err();
        assert!(e.starts_with("\"en_GB\" is not a BCP 47 locale"), "{e}");
    }

    #[test]
    fn formats_are_shared_by_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Formats>();
    }
}
