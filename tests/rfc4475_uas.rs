//! RFC 4475 torture messages delivered to a running engine: the reply a UAS gives to each
//! (RFC 3261 §8.2), per `../shared/corpora/rfc4475/manifest.tsv`. The parse-level view of the
//! same messages is in `rfc4475.rs`.

mod sim;

use std::path::PathBuf;
use std::time::Duration;

use sim::Net;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("SIPLINE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"),
    }
    .join("rfc4475")
}

/// Every reply the engine sent for one message: (status code, whole text).
fn replies_to(file: &str) -> Vec<(u16, String)> {
    let bytes = std::fs::read(corpus_dir().join("messages").join(file)).expect("corpus file");
    let mut net = Net::new(1, 4475);
    net.inject(0, "127.0.0.1:5099".parse().unwrap(), &bytes);
    net.run_for(Duration::from_secs(1));
    // Whatever the Via says, the simulated wire records every datagram the UA sent.
    net.uas[0]
        .sent
        .iter()
        .map(|(_, _, b)| {
            let text = String::from_utf8_lossy(b).to_string();
            let code = text
                .strip_prefix("SIP/2.0 ")
                .and_then(|t| t.get(..3))
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            (code, text)
        })
        .collect()
}

/// Distinct replies in order (an INVITE's final response is retransmitted on Timer G
/// until ACK, §17.2.1, so repeats are collapsed).
fn codes(file: &str) -> Vec<u16> {
    let mut c: Vec<u16> = replies_to(file).into_iter().map(|(c, _)| c).collect();
    c.dedup();
    c
}

/// A well-formed request: answered, and not as malformed.
fn answered_normally(file: &str) {
    let c = codes(file);
    assert!(!c.is_empty(), "{file}: no reply");
    assert!(
        c.iter().all(|c| !matches!(c, 400 | 505 | 0)),
        "{file}: replies {c:?}"
    );
}

/// A malformed request: exactly one 400.
fn bad_request(file: &str) {
    assert_eq!(codes(file), vec![400], "{file}");
}

/// A response (or undecodable bytes): dropped, nothing sent.
fn dropped(file: &str) {
    assert_eq!(codes(file), Vec::<u16>::new(), "{file}");
}

macro_rules! torture {
    ($($name:ident: $file:literal => $check:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let check: fn(&str) = $check;
                check($file);
            }
        )*

        #[test]
        fn every_manifest_message_has_a_test() {
            let ours = [$($file),*];
            let manifest = std::fs::read_to_string(corpus_dir().join("manifest.tsv")).unwrap();
            for line in manifest.lines().skip(1) {
                let file = line.split('\t').nth(1).unwrap().trim_start_matches("messages/");
                assert!(ours.contains(&file), "no UAS test for {file}");
            }
        }
    };
}

torture! {
    // ===== §3.1.1 valid messages =====
    s3_1_1_1_wsinv: "wsinv.dat" => answered_normally;
    s3_1_1_2_intmeth: "intmeth.dat" => |f| assert_eq!(codes(f), vec![501], "unknown method → 501 + Allow");
    s3_1_1_3_esc01: "esc01.dat" => answered_normally;
    s3_1_1_4_escnull: "escnull.dat" => |f| assert_eq!(codes(f), vec![405], "REGISTER to a UA → 405");
    s3_1_1_5_esc02: "esc02.dat" => answered_normally;
    s3_1_1_6_lwsdisp: "lwsdisp.dat" => answered_normally;
    s3_1_1_7_longreq: "longreq.dat" => answered_normally;
    s3_1_1_8_dblreq: "dblreq.dat" => answered_normally;
    s3_1_1_9_semiuri: "semiuri.dat" => answered_normally;
    s3_1_1_10_transports: "transports.dat" => answered_normally;
    s3_1_1_11_mpart01: "mpart01.dat" => answered_normally;
    s3_1_1_12_unreason: "unreason.dat" => dropped;
    s3_1_1_13_noreason: "noreason.dat" => dropped;
    s3_1_2_cparam01_valid: "cparam01.dat" => answered_normally;
    s3_1_2_cparam02_valid: "cparam02.dat" => answered_normally;
    s3_1_2_regescrt_valid: "regescrt.dat" => answered_normally;
    s3_1_2_zeromf: "zeromf.dat" => answered_normally;
    s3_4_inv2543: "inv2543.dat" => answered_normally;
    // ===== §3.1.2 invalid messages =====
    s3_1_2_1_badinv01: "badinv01.dat" => bad_request;
    s3_1_2_2_clerr: "clerr.dat" => bad_request;
    s3_1_2_3_ncl: "ncl.dat" => bad_request;
    s3_1_2_4_scalar02: "scalar02.dat" => bad_request;
    s3_1_2_5_scalarlg: "scalarlg.dat" => dropped;
    s3_1_2_6_quotbal: "quotbal.dat" => bad_request;
    s3_1_2_7_ltgtruri: "ltgtruri.dat" => bad_request;
    s3_1_2_8_lwsruri: "lwsruri.dat" => |f| assert!(!codes(f).is_empty(), "{f}: reject or liberal, but answered");
    s3_1_2_9_lwsstart: "lwsstart.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_10_trws: "trws.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_11_escruri: "escruri.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_12_baddate: "baddate.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_13_regbadct: "regbadct.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_14_badaspec: "badaspec.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_15_baddn: "baddn.dat" => |f| assert!(!codes(f).is_empty(), "{f}: answered");
    s3_1_2_16_badvers: "badvers.dat" => |f| assert_eq!(codes(f), vec![505]);
    s3_1_2_17_mismatch01: "mismatch01.dat" => bad_request;
    s3_1_2_18_mismatch02: "mismatch02.dat" => bad_request;
    s3_1_2_19_bigcode: "bigcode.dat" => dropped;
    // ===== §3.2 transaction layer =====
    s3_2_1_badbranch: "badbranch.dat" => answered_normally;
    // ===== §3.3 application layer =====
    s3_3_1_insuf: "insuf.dat" => bad_request;
    s3_3_2_unkscm: "unkscm.dat" => |f| assert_eq!(codes(f), vec![416]);
    s3_3_3_novelsc: "novelsc.dat" => |f| assert_eq!(codes(f), vec![416]);
    s3_3_4_unksm2: "unksm2.dat" => |f| assert_eq!(codes(f), vec![405], "REGISTER to a UA");
    s3_3_5_bext01: "bext01.dat" => |f| {
        let r = replies_to(f);
        assert_eq!(codes(f), vec![420]);
        assert_eq!(r[0].0, 420);
        assert!(r[0].1.contains("Unsupported: nothingSupportsThis, nothingSupportsThisEither\r\n"), "{}", r[0].1);
    };
    s3_3_6_invut: "invut.dat" => |f| assert_eq!(codes(f), vec![415]);
    s3_3_7_regaut01: "regaut01.dat" => |f| assert_eq!(codes(f), vec![405]);
    s3_3_8_multi01: "multi01.dat" => bad_request;
    s3_3_9_mcl01: "mcl01.dat" => bad_request;
    // A response whose second Via is not ours: dropped (§8.1.3.3), never "answered".
    s3_3_10_bcast: "bcast.dat" => dropped;
    s3_3_15_sdp01: "sdp01.dat" => |f| assert_eq!(codes(f), vec![406]);
}
