//! Any bytes as an account's gaad.json: loading must give an account or a one-line error,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempdir() else { return };
    let account = dir.join("aws").join("111122223333");
    if std::fs::create_dir_all(&account).is_err() || std::fs::write(account.join("gaad.json"), data).is_err() {
        return;
    }
    if let Err(e) = blastmap::snapshot::Snapshot::open(&dir) {
        assert!(!e.to_string().contains('\n'), "errors are one line: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
});

fn tempdir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("blastmap-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
