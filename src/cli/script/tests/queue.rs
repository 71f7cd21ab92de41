//! Tests of the event queue: matching, DTMF spelling, accounts, recent events.

use super::*;

#[test]
fn queue_takes_oldest_fitting_event() {
    let mut q = EventQueue::new();
    q.push(progress(1));
    q.push(progress(2));
    q.push(accepted(2));
    q.push(accepted(1));
    q.push(progress(1));
    assert_eq!(q.take("accepted", None), Some(accepted(2)));
    assert_eq!(q.take("accepted", None), Some(accepted(1)));
    assert_eq!(q.take("accepted", None), None);
    assert_eq!(q.take("progress", Some(CallHandle(2))), Some(progress(2)));
    assert_eq!(q.take("progress", Some(CallHandle(2))), None);
    assert_eq!(q.take("progress", Some(CallHandle(1))), Some(progress(1)));
    assert_eq!(q.take("progress", None), Some(progress(1)));
    assert_eq!(q.take("progress", None), None);
    assert_eq!(q.pending().count(), 0);
    assert_eq!(q.take("terminated", None), None);
}

#[test]
fn dtmf_digits_are_spelled_in_order_and_consumed() {
    let mut q = EventQueue::new();
    for d in ["1", "2"] {
        q.push(dtmf(1, d));
    }
    q.push(progress(1));
    assert_eq!(
        q.match_dtmf("123#", None),
        DtmfMatch::Partial {
            call: Some(CallHandle(1)),
            got: "12".into()
        }
    );
    assert_eq!(q.pending().count(), 3, "a partial match consumes nothing");
    q.push(dtmf(1, "3"));
    q.push(dtmf(1, "#"));
    q.push(dtmf(1, "9"));
    assert_eq!(
        q.match_dtmf("123#", None),
        DtmfMatch::Done(vec![dtmf(1, "1"), dtmf(1, "2"), dtmf(1, "3"), dtmf(1, "#")])
    );
    // Only the digits that spelled it are gone.
    assert_eq!(
        q.pending().cloned().collect::<Vec<_>>(),
        [progress(1), dtmf(1, "9")]
    );
    assert_eq!(q.match_dtmf("9", None), DtmfMatch::Done(vec![dtmf(1, "9")]));
    assert_eq!(
        q.match_dtmf("9", None),
        DtmfMatch::Partial {
            call: None,
            got: String::new()
        }
    );
    // Letters compare without case.
    q.push(dtmf(1, "a"));
    assert!(matches!(q.match_dtmf("A", None), DtmfMatch::Done(_)));
}

#[test]
fn a_wrong_dtmf_digit_is_reported() {
    let mut q = EventQueue::new();
    for d in ["1", "5", "7", "#"] {
        q.push(dtmf(1, d));
    }
    assert_eq!(
        q.match_dtmf("159#", None),
        DtmfMatch::Wrong {
            call: CallHandle(1),
            got: "15".into(),
            digit: "7".into(),
            method: DtmfMode::Rfc4733,
            expected: '9',
        }
    );
    assert_eq!(q.pending().cloned().collect::<Vec<_>>(), [dtmf(1, "#")]);
}

#[test]
fn dtmf_matching_keeps_to_one_call() {
    let mut q = EventQueue::new();
    q.push(dtmf(2, "9"));
    q.push(dtmf(1, "1"));
    q.push(dtmf(2, "8"));
    q.push(dtmf(1, "2"));
    // Call 1 named: call 2's digits are neither matched nor consumed.
    assert_eq!(
        q.match_dtmf("12", Some(CallHandle(1))),
        DtmfMatch::Done(vec![dtmf(1, "1"), dtmf(1, "2")])
    );
    // No call named: the oldest digit's call (2) is the one.
    assert_eq!(
        q.match_dtmf("98", None),
        DtmfMatch::Done(vec![dtmf(2, "9"), dtmf(2, "8")])
    );
    q.push(dtmf(3, "1"));
    q.push(dtmf(4, "2"));
    assert_eq!(
        q.match_dtmf("12", None),
        DtmfMatch::Partial {
            call: Some(CallHandle(3)),
            got: "1".into()
        }
    );
}

#[test]
fn waits_filter_registration_events_by_account() {
    let mut q = EventQueue::new();
    q.push(registered("office"));
    q.push(registered("alice"));
    let mut spec = WaitSpec::new("registered", None, Duration::from_secs(1));
    spec.account = Some("alice".into());
    assert_eq!(q.take_for(&spec), Some(registered("alice")));
    assert_eq!(q.take_for(&spec), None);
    spec.account = None;
    assert_eq!(q.take_for(&spec), Some(registered("office")));
    assert_eq!(account_of(&registered("x")), Some("x"));
    assert_eq!(account_of(&progress(1)), None);
}

#[test]
fn queue_remembers_recent_events() {
    let mut q = EventQueue::new();
    assert_eq!(q.recent_summary(), "none");
    q.push(progress(1));
    assert_eq!(q.recent_summary(), "progress 1 180 Ringing");
    q.push(accepted(1));
    q.push(terminated(1));
    q.push(progress(2));
    q.take("progress", None);
    assert_eq!(
        q.recent_summary(),
        "accepted 1 200, terminated 1 remote bye 5000, progress 2 180 Ringing"
    );
}
