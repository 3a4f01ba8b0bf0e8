//! File DB data files: any text as a `.json` and a `.yaml` data file. Nothing may panic,
//! and what parses is written back (as the status file is) to text that parses to the same
//! entries.

#![no_main]

use std::path::Path;

use cninfra_kv_filedb::fuzzing::{parse_data_file, render_data_file};
use libfuzzer_sys::fuzz_target;

fn round_trip(path: &Path, text: &str) {
    let Some(Ok(content)) = parse_data_file(path, text) else {
        return;
    };
    for out in [Path::new("/d/status.json"), Path::new("/d/status.yaml")] {
        let Some(rendered) = render_data_file(out, &content) else {
            unreachable!("a data file path");
        };
        let rendered = rendered.expect("parsed entries render");
        let rendered = String::from_utf8(rendered).expect("rendered text is UTF-8");
        match parse_data_file(out, &rendered) {
            Some(Ok(again)) => assert_eq!(again, content, "{rendered}"),
            other => panic!("rendered file does not parse: {other:?}\n{rendered}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip(Path::new("/d/data.json"), text);
    round_trip(Path::new("/d/data.yaml"), text);
});
