//! Does this customer have access right now? [`Subscription::access_at`] reads the
//! documented FastSpring state machine off a subscription (a REST reply or the data of
//! any `subscription.*` webhook event, which is the same type) and answers with an
//! exhaustive [`Access`].
//!
//! The rules, with their sources, are on [`Access`].

use jiff::{SignedDuration, Timestamp};

use crate::EpochMillis;
use crate::subscriptions::{Subscription, SubscriptionState};

/// Whether and until when a subscription gives access, at one instant: what
/// [`Subscription::access_at`] answers.
///
/// # Rules
///
/// Checked in this order; the first that matches decides.
///
/// | # | the subscription says | [`Access`] | source |
/// | --- | --- | --- | --- |
/// | 1 | `state: deactivated`, or `active: false` | `Ended { since: deactivationDate or end }` | reference, Subscription object: `active` is false once deactivated; `state` values `active`, `overdue`, `canceled`, `deactivated`, `trial` |
/// | 2 | `state: canceled` and `deactivationDate` (else `end`, else `next`) after `now` | `CanceledUntil { until }` | reference, "Cancel a subscription": canceled without `billingPeriod=0`, it stays active with `canceledDate` set until `deactivationDate`; `listSubscriptions` `status=canceled` = "canceled, not yet deactivated" |
/// | 3 | `state: canceled` with that date passed | `Ended` | the same: FastSpring deactivates it on that date (the data is older than the deactivation) |
/// | 4 | `state: overdue` | `Overdue { since, grace_until, in_grace }` | reference: `overdue` state; `subscription.payment.overdue` "buyer has not paid on time"; dunning progress in `paymentOverdue {intervalUnit, intervalLength, total, sent}`. `since` is `next` (the charge that failed) when not after `now`, else `changed`: **derived**, FastSpring has no overdue-since field |
/// | 5 | `state: paused`, or `active` with a pause begun (`pauseDate` ≤ `now` < `resumeDate`) | `Paused { until: resumeDate }` | reference, "Pause a subscription": the pause starts at the next billing date, the subscription "transitions to a paused status" and resumes (and is charged) on `resumeDate` |
/// | 6 | `state: trial` | `Trial { until: next }` | reference: `trial` state; the trial's first charge is on `next` (`subscription.trial.reminder`: notice before the first billing) |
/// | 7 | `state: active` (or a state this crate does not know, with `active: true`) | `Active { renews_on, ends_on }` | reference: `next` is the next charge date; `autoRenew: false` = manual renewal, so no automatic charge (`renews_on: None`); a future `deactivationDate` (an end date or a fixed number of periods) is `ends_on` |
///
/// [`Access::grants_access`] turns the answer into a yes or no: trial, active and
/// canceled-until are yes, ended and paused are no, overdue is yes while within the
/// grace the app chose ([`OverdueGrace`]; FastSpring retries the payment during dunning,
/// so cutting access at the first failed charge is a choice, not a rule).
///
/// Sources: FastSpring's subscription reference (developer.fastspring.com, the
/// Subscriptions pages on states, cancellation, pausing and dunning) and the spec's
/// `x-fs-note`s on `Subscription.state` in `api-spec/subscriptions.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// In a free or paid trial; the first charge is due `until`.
    Trial {
        /// End of the trial (`next`), when given.
        until: Option<Timestamp>,
    },
    /// Active and paid.
    Active {
        /// The next automatic charge (`next`); `None` for manual renewal or no date.
        renews_on: Option<Timestamp>,
        /// A scheduled end (`deactivationDate` after now), if any.
        ends_on: Option<Timestamp>,
    },
    /// Canceled by the buyer or the seller, usable until the period ends.
    CanceledUntil {
        /// When it is deactivated (`deactivationDate`, else `end`, else `next`).
        until: Timestamp,
    },
    /// A renewal charge failed; FastSpring is retrying it (dunning).
    Overdue {
        /// When the failed charge was due (`next`; `changed` when `next` lies ahead).
        since: Option<Timestamp>,
        /// `since` plus the app's grace, when both are known.
        grace_until: Option<Timestamp>,
        /// Whether `now` is still within the grace.
        in_grace: bool,
    },
    /// Paused; billing resumes on `until`.
    Paused {
        /// The resume date (`resumeDate`), when given.
        until: Option<Timestamp>,
    },
    /// Deactivated: no access.
    Ended {
        /// When it ended (`deactivationDate`, else `end`), when given.
        since: Option<Timestamp>,
    },
}

impl Access {
    /// Whether the customer should have access: trial, active and canceled-until yes;
    /// overdue while in grace; paused and ended no.
    pub fn grants_access(&self) -> bool {
        match self {
            Access::Trial { .. } | Access::Active { .. } | Access::CanceledUntil { .. } => true,
            Access::Overdue { in_grace, .. } => *in_grace,
            Access::Paused { .. } | Access::Ended { .. } => false,
        }
    }
}

/// How long an overdue subscription keeps access after the failed charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverdueGrace(pub SignedDuration);

impl OverdueGrace {
    /// No grace: access ends with the first failed charge.
    pub const NONE: OverdueGrace = OverdueGrace(SignedDuration::ZERO);

    /// A grace of `days` days.
    pub fn days(days: i64) -> OverdueGrace {
        OverdueGrace(SignedDuration::from_hours(days.saturating_mul(24)))
    }
}

impl Default for OverdueGrace {
    /// Two weeks: FastSpring's published dunning sample sends two weekly overdue
    /// notices before cancellation settings apply.
    fn default() -> Self {
        OverdueGrace::days(14)
    }
}

fn ts(value: &Option<EpochMillis>) -> Option<Timestamp> {
    value.as_ref().and_then(EpochMillis::to_timestamp)
}

impl Subscription {
    /// Access at `now`, with the default overdue grace ([`OverdueGrace::default`], two
    /// weeks). The rules and their sources are on [`Access`].
    pub fn access_at(&self, now: Timestamp) -> Access {
        self.access_with_grace(now, OverdueGrace::default())
    }

    /// Access at `now`, an overdue subscription keeping access for `grace` after the
    /// failed charge.
    pub fn access_with_grace(&self, now: Timestamp, grace: OverdueGrace) -> Access {
        let next = ts(&self.next);
        let deactivation = ts(&self.deactivation_date);
        let end = ts(&self.end);
        let state = self.state.as_ref();
        // Rule 1.
        if matches!(state, Some(SubscriptionState::Deactivated)) || self.active == Some(false) {
            return Access::Ended {
                since: deactivation.or(end),
            };
        }
        match state {
            // Rules 2 and 3.
            Some(SubscriptionState::Canceled) => match deactivation.or(end).or(next) {
                Some(until) if until > now => Access::CanceledUntil { until },
                until => Access::Ended { since: until },
            },
            // Rule 4.
            Some(SubscriptionState::Overdue) => {
                let since = next.filter(|n| *n <= now).or(ts(&self.changed));
                let grace_until = since.and_then(|s| s.checked_add(grace.0).ok());
                Access::Overdue {
                    since,
                    grace_until,
                    in_grace: grace_until.is_some_and(|g| now < g),
                }
            }
            // Rule 5.
            Some(SubscriptionState::Paused) => Access::Paused {
                until: ts(&self.resume_date),
            },
            // Rule 6.
            Some(SubscriptionState::Trial) => Access::Trial { until: next },
            // Rules 5 (a pause begun) and 7.
            _ => {
                let resume = ts(&self.resume_date);
                if ts(&self.pause_date).is_some_and(|p| p <= now) && resume.is_some_and(|r| now < r)
                {
                    return Access::Paused { until: resume };
                }
                Access::Active {
                    renews_on: next.filter(|_| self.auto_renew != Some(false)),
                    ends_on: deactivation.filter(|d| *d > now),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn sub(json: Value) -> Subscription {
        serde_json::from_value(json).expect("a subscription")
    }

    /// Every subscription in the spec's examples (REST replies and `subscription.*`
    /// webhook data), judged at the time it was sent (`changed`), as an app would.
    #[test]
    fn every_subscription_example_in_the_spec() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../api-spec/examples");
        let cases: [(&str, &str, &str); 10] = [
            (
                "subscriptions/get-subscription.response.1.json",
                "",
                "Trial",
            ),
            (
                "webhooks/subscription.activated.2.json",
                "/events/0/data",
                "Active",
            ),
            ("webhooks/subscription.activated.3.json", "", "Active+ends"),
            (
                "webhooks/subscription.canceled.2.json",
                "/events/0/data",
                "CanceledUntil",
            ),
            ("webhooks/subscription.canceled.3.json", "", "CanceledUntil"),
            (
                "webhooks/subscription.charge.completed.2.json",
                "/subscription",
                "Active",
            ),
            (
                "webhooks/subscription.charge.failed.json",
                "/subscription",
                "Trial",
            ),
            ("webhooks/subscription.deactivated.2.json", "/data", "Ended"),
            ("webhooks/subscription.deactivated.3.json", "", "Ended"),
            (
                "webhooks/subscription.payment.overdue.json",
                "",
                "Active/manual",
            ),
        ];
        for (file, pointer, want) in cases {
            let text = std::fs::read_to_string(format!("{dir}/{file}")).expect(file);
            let value: Value = serde_json::from_str(&text).expect(file);
            let subscription = sub(value.pointer(pointer).cloned().expect(file));
            let now = ts(&subscription.changed).unwrap_or(at("2025-01-01T00:00:00Z"));
            let access = subscription.access_at(now);
            let got = match access {
                Access::Trial { until } => {
                    assert_eq!(until, ts(&subscription.next), "{file}");
                    "Trial"
                }
                Access::Active {
                    renews_on: Some(_),
                    ends_on: None,
                } => "Active",
                Access::Active {
                    renews_on: Some(_),
                    ends_on: Some(_),
                } => "Active+ends",
                Access::Active {
                    renews_on: None, ..
                } => "Active/manual",
                Access::CanceledUntil { until } => {
                    assert_eq!(Some(until), ts(&subscription.deactivation_date), "{file}");
                    "CanceledUntil"
                }
                Access::Overdue { .. } => "Overdue",
                Access::Paused { .. } => "Paused",
                Access::Ended { .. } => "Ended",
            };
            assert_eq!(got, want, "{file}: {access:?}");
        }
    }

    #[test]
    fn canceled_is_usable_until_deactivation_then_ended() {
        let s = sub(serde_json::json!({
            "id": "s", "active": true, "state": "canceled",
            "next": 1_740_700_800_000_i64, "deactivationDate": 1_740_700_800_000_i64,
        }));
        let until = at("2025-02-28T00:00:00Z");
        assert_eq!(
            s.access_at(at("2025-02-10T00:00:00Z")),
            Access::CanceledUntil { until }
        );
        assert!(s.access_at(at("2025-02-10T00:00:00Z")).grants_access());
        assert_eq!(s.access_at(until), Access::Ended { since: Some(until) });
    }

    #[test]
    fn overdue_keeps_access_only_within_the_apps_grace() {
        let s = sub(serde_json::json!({
            "id": "s", "active": true, "state": "overdue", "next": 1_740_700_800_000_i64,
        }));
        let since = at("2025-02-28T00:00:00Z");
        let now = at("2025-03-05T00:00:00Z");
        assert_eq!(
            s.access_with_grace(now, OverdueGrace::days(7)),
            Access::Overdue {
                since: Some(since),
                grace_until: Some(at("2025-03-07T00:00:00Z")),
                in_grace: true
            }
        );
        assert!(!s.access_with_grace(now, OverdueGrace::NONE).grants_access());
        assert!(s.access_at(now).grants_access(), "default grace: two weeks");
        assert!(!s.access_at(at("2025-03-15T00:00:00Z")).grants_access());
    }

    #[test]
    fn a_pause_in_progress_and_a_paused_state_give_no_access_until_resumed() {
        let pause = 1_740_700_800_000_i64; // 2025-02-28
        let resume = 1_743_379_200_000_i64; // 2025-03-31
        let scheduled = sub(serde_json::json!({
            "id": "s", "active": true, "state": "active", "isPauseScheduled": true,
            "next": pause, "pauseDate": pause, "resumeDate": resume,
        }));
        let before = scheduled.access_at(at("2025-02-01T00:00:00Z"));
        assert_eq!(
            before,
            Access::Active {
                renews_on: Some(at("2025-02-28T00:00:00Z")),
                ends_on: None
            }
        );
        let during = scheduled.access_at(at("2025-03-10T00:00:00Z"));
        assert_eq!(
            during,
            Access::Paused {
                until: Some(at("2025-03-31T00:00:00Z"))
            }
        );
        assert!(!during.grants_access());
        let paused = sub(serde_json::json!({"id": "s", "state": "paused", "resumeDate": resume}));
        assert_eq!(paused.access_at(at("2025-03-10T00:00:00Z")), during);
    }

    #[test]
    fn deactivated_or_inactive_is_ended_whatever_else_it_says() {
        let s = sub(
            serde_json::json!({"id": "s", "active": false, "state": "active", "end": 1_740_700_800_000_i64}),
        );
        assert_eq!(
            s.access_at(at("2025-01-01T00:00:00Z")),
            Access::Ended {
                since: Some(at("2025-02-28T00:00:00Z"))
            }
        );
        let unknown = sub(serde_json::json!({"id": "s", "active": true, "state": "frozen"}));
        assert_eq!(
            unknown.access_at(at("2025-01-01T00:00:00Z")),
            Access::Active {
                renews_on: None,
                ends_on: None
            }
        );
    }
}
