//! No input makes a reader panic: every corpus file cut short at many
//! places and with bytes overwritten is either read or refused.

mod support;

use saldo_statements_iso::{read_camt, read_coda, read_mt940};
use support::{corpus, corpus_files};

type Reader = fn(&[u8]) -> bool;

fn readers() -> [(&'static str, Reader); 3] {
    [
        ("genkgo-camt", |b| read_camt(b).is_ok()),
        ("mt940", |b| read_mt940(b).is_ok()),
        ("php-coda-parser", |b| read_coda(b).is_ok()),
    ]
}

#[test]
fn cut_and_damaged_files_never_panic() {
    saldo_statements::require_corpus!();
    for (folder, read) in readers() {
        for file in corpus_files(folder) {
            let bytes = corpus(&format!("{folder}/{file}"));
            let step = (bytes.len() / 60).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                let _ = read(&bytes[..cut]);
                for junk in [b':', b'?', b'/', b'<', b'0', b'\n', 0xc3, 0xff] {
                    let mut damaged = bytes.clone();
                    damaged[cut] = junk;
                    let _ = read(&damaged);
                }
            }
        }
    }
}

#[test]
fn any_reader_on_any_other_format_refuses_without_panic() {
    saldo_statements::require_corpus!();
    for (folder, _) in readers() {
        for file in corpus_files(folder) {
            let bytes = corpus(&format!("{folder}/{file}"));
            for (other, read) in readers() {
                if other != folder {
                    assert!(!read(&bytes), "{folder}/{file} must not read as {other}");
                }
            }
        }
    }
}
