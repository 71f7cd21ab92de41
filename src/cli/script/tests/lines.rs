//! Tests of script line parsing.

use super::*;

#[test]
fn parse_script_reports_line_numbers() {
    let script = "# call and hang up\n\ninvite sip:100@127.0.0.1\nwait accepted 10s\nreject 99x\n";
    let err = parse_script(script.lines()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "script line 5: reject 99x: reject: '99x' is not a status code (expected 300-699)"
    );
    let ok = parse_script(script.lines().take(4)).unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].number, 3);
    assert_eq!(ok[1].number, 4);
    assert_eq!(ok[1].text, "wait accepted 10s");
}
