//! A moto server (an AWS-compatible API, in server mode) for the tests of live collection.
//!
//! One server per test binary, started on first use from the repository's `.venv-moto/`
//! (what `.ci/run` installs) or from `PATH`, with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`.
//! It runs under `tests/moto/serve.py`, which kills it by its pid when this process closes
//! the script's stdin, that is when the test binary exits, panics or is killed. Tests take
//! it one at a time ([`moto`] holds a lock) and find it reset to an empty state.
//!
//! Without python3 or moto the tests print `skipped: ...` on the terminal and pass, unless
//! `BLASTMAP_REQUIRE_MOTO` is set (as `.ci/run` does once it has installed moto).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    port: u16,
    python: PathBuf,
    log: PathBuf,
    /// The launcher; its stdin stays open as long as this process lives.
    _launcher: Mutex<Child>,
}

static SERVER: OnceLock<Result<Moto, String>> = OnceLock::new();
static EXCLUSIVE: Mutex<()> = Mutex::new(());

/// Exclusive use of the shared server, reset; `None` (after printing why) when moto cannot
/// be run here.
pub struct Session {
    _guard: MutexGuard<'static, ()>,
    pub moto: &'static Moto,
}

pub fn moto(test: &str) -> Option<Session> {
    if !cfg!(feature = "aws") {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {test}: blastmap is built without the aws feature"
        );
        return None;
    }
    let guard = EXCLUSIVE.lock().unwrap_or_else(|e| e.into_inner());
    match SERVER.get_or_init(start) {
        Ok(moto) => {
            moto.post("/moto-api/reset", "").expect("moto resets");
            Some(Session {
                _guard: guard,
                moto,
            })
        }
        Err(why) => {
            if std::env::var_os("BLASTMAP_REQUIRE_MOTO").is_some() {
                panic!("BLASTMAP_REQUIRE_MOTO is set but moto cannot run: {why}");
            }
            // Written to the terminal directly: the test harness captures only print!.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {test}: {why} (run .ci/run, or `pip install 'moto[server]'`)"
            );
            None
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The python that has boto3 and moto, and the `moto_server` beside it.
fn find() -> Result<(PathBuf, PathBuf), String> {
    let venv = repo().join(".venv-moto/bin");
    if venv.join("moto_server").is_file() && venv.join("python").is_file() {
        return Ok((venv.join("python"), venv.join("moto_server")));
    }
    let python = on_path("python3").ok_or("python3 is not on PATH")?;
    let server = on_path("moto_server").ok_or("moto_server is not installed")?;
    let ok = Command::new(&python)
        .args(["-c", "import boto3, moto"])
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return Err(format!("{} cannot import boto3 and moto", python.display()));
    }
    Ok((python, server))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn start() -> Result<Moto, String> {
    let (python, server) = find()?;
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let recording = dir.join("recording.jsonl");
    let log = dir.join("moto.log");
    let port = free_port()?;
    let mut launcher = Command::new(&python)
        .arg(repo().join("tests/moto/serve.py"))
        .arg(&server)
        .arg(port.to_string())
        .arg(&recording)
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let mut first = String::new();
    if let Some(out) = launcher.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut first);
    }
    let moto = Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        port,
        python,
        log,
        _launcher: Mutex::new(launcher),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if matches!(moto.get("/moto-api/data.json"), Ok((200, _))) {
            return Ok(moto);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = std::fs::read_to_string(&moto.log).unwrap_or_default();
    Err(format!(
        "moto_server (pid {}) did not answer on port {port} within 60 s: {}",
        first.trim(),
        log.lines().last().unwrap_or("no log")
    ))
}

impl Moto {
    /// One HTTP/1.1 request to the server; returns the status and the body.
    fn request(&self, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| e.to_string())?;
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("no HTTP status")?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    pub fn get(&self, path: &str) -> Result<(u16, String), String> {
        self.request("GET", path, "")
    }

    pub fn post(&self, path: &str, body: &str) -> Result<(u16, String), String> {
        self.request("POST", path, body)
    }

    /// Runs a Python script of `tests/moto/` with the server's endpoint as first argument,
    /// and parses the JSON it prints.
    pub fn script(&self, name: &str, args: &[&Path]) -> Value {
        let out = Command::new(&self.python)
            .arg(repo().join("tests/moto").join(name))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("the script prints JSON")
    }

    /// Runs python code with boto3 clients pointed at the server.
    pub fn python(&self, code: &str) {
        let prelude = format!(
            "import boto3, json\ndef client(service, key='testing', secret='testing'):\n    return boto3.client(service, endpoint_url='{}', region_name='us-east-1', aws_access_key_id=key, aws_secret_access_key=secret)\n",
            self.endpoint
        );
        let out = Command::new(&self.python)
            .args(["-c", &format!("{prelude}{code}")])
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts recording every request the server receives, from now on.
    pub fn start_recording(&self) {
        assert_eq!(
            self.post("/moto-api/recorder/reset-recording", "")
                .map(|r| r.0),
            Ok(200)
        );
        assert_eq!(
            self.post("/moto-api/recorder/start-recording", "")
                .map(|r| r.0),
            Ok(200)
        );
    }

    /// Stops recording and returns the requests recorded (moto's recorder entries).
    pub fn stop_recording(&self) -> Vec<Value> {
        assert_eq!(
            self.post("/moto-api/recorder/stop-recording", "")
                .map(|r| r.0),
            Ok(200)
        );
        let (status, body) = self
            .get("/moto-api/recorder/download-recording")
            .expect("the recording downloads");
        assert_eq!(status, 200);
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a recorded request is JSON"))
            .collect()
    }

    /// Environment for the `blastmap` binary: the analyst's credentials and the endpoint,
    /// and nothing from the machine's own AWS configuration.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        aws_env(&self.endpoint)
    }
}

pub fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        (
            "AWS_CONFIG_FILE",
            "/nonexistent/blastmap-test/config".into(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/blastmap-test/credentials".into(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// Runs the `blastmap` binary with this environment (and no other AWS variables).
pub fn run_with_env(args: &[&str], env: &[(&'static str, String)]) -> crate::support::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blastmap"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG");
    let out = cmd.output().expect("the blastmap binary runs");
    crate::support::Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// The AWS operation of a recorded request, and whether it only reads: an `Action=` of the
/// query protocol, an `X-Amz-Target` of the JSON protocol, or a REST method.
pub fn operation(entry: &Value) -> (String, bool) {
    let headers = entry["headers"].as_object().cloned().unwrap_or_default();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
    };
    let method = entry["method"].as_str().unwrap_or_default().to_string();
    let url = entry["url"].as_str().unwrap_or_default().to_string();
    let mut body = entry["body"].as_str().unwrap_or_default().to_string();
    if entry["body_encoded"].as_bool() == Some(true) {
        body = decode_base64(&body);
    }
    let reads = |op: &str| {
        ["List", "Get", "Describe"]
            .iter()
            .any(|p| op.starts_with(p))
            || ["GenerateCredentialReport", "BatchGetProjects", "AssumeRole"].contains(&op)
    };
    if let Some(target) = header("X-Amz-Target") {
        let op = target.rsplit('.').next().unwrap_or_default().to_string();
        let ok = reads(&op);
        return (op, ok);
    }
    if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        let ok = reads(action);
        return (action.to_string(), ok);
    }
    let rest = format!("{method} {url}");
    (rest, method == "GET" || method == "HEAD")
}

fn decode_base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = vec![];
    for c in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
