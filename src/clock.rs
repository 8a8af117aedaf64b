//! The build's idea of "now". What a site shows can change by the clock
//! alone (a tour leg whose end date is over shows as past), so every build
//! takes its instant from `BuildOptions::now` and says when its output
//! changes next (`Bundle::next_change`): `build --changed` builds again
//! from that instant, and the edge re-renders at it.
//!
//! `--clock` (as in Hugo) sets the instant to preview a date or to test what
//! happens with time; the edge's clock starts there and runs on.

use std::time::Instant;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};

/// A clock that starts at a given instant (or the system's) and runs at
/// the speed of the system's.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Option<(OffsetDateTime, Instant)>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { start: None }
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: OffsetDateTime) -> Clock {
        Clock {
            start: Some((at, Instant::now())),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        match self.start {
            Some((at, since)) => at + since.elapsed(),
            None => OffsetDateTime::now_utc(),
        }
    }
}

/// `--clock`: an RFC 3339 instant (`2027-03-01T23:59:58Z`) or a date
/// (`2027-03-01`, midnight UTC).
pub fn parse(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    parse_date(text)
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
        .ok_or_else(|| {
            format!("{text:?} is neither a date (2027-03-01) nor an RFC 3339 instant (2027-03-01T18:30:00+01:00)")
        })
}

/// A `YYYY-MM-DD` date, as platform records give them.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// RFC 3339 in UTC, as manifests and reports show instants.
pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_parse_dates_and_instants_and_run_on() {
        assert_eq!(format(parse("2027-03-01").unwrap()), "2027-03-01T00:00:00Z");
        assert_eq!(
            format(parse("2027-03-01T18:30:00+01:00").unwrap()),
            "2027-03-01T17:30:00Z"
        );
        assert!(parse("March 1st").unwrap_err().contains("RFC 3339"));
        assert!(parse_date("2027-02-30").is_none());
        let at = parse("2027-03-01T23:59:58Z").unwrap();
        let clock = Clock::starting_at(at);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let now = clock.now();
        assert!(now > at && now < at + time::Duration::hours(1), "{now}");
        assert!(Clock::system().now().year() >= 2026);
    }
}
