//! The pseudo-terminal harness: the real binary, keys in, the screen as vt100 sees it.
#![allow(dead_code)]
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Screen {
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, in order (for checking escape sequences).
    pub raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    pub fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `needle`, or fails with what it does show.
    pub fn wait_for(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.contents().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("screen never showed {needle:?}:\n{}", self.contents());
    }
}

pub struct Console {
    pub screen: Screen,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    /// The master side, kept open for the child's lifetime (see [`Console::hang_up`]).
    master: Option<Box<dyn portable_pty::MasterPty + Send>>,
    stop_reader: Arc<std::sync::atomic::AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

pub fn spawn(home: &std::path::Path, args: &[&str]) -> Console {
    spawn_env(home, args, &[])
}

/// `spawn` with extra environment variables.
pub fn spawn_env(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Console {
    spawn_program(home, super::bin::BIN, args, env)
}

/// Any program in the pseudo-terminal, with sitrep's test environment (e.g. the binary
/// under a shell, so it is not the session leader).
pub fn spawn_program(
    home: &std::path::Path,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Console {
    spawn_sized(home, program, args, env, (40, 120))
}

/// [`spawn_program`] in a terminal of `(rows, cols)`: the wall wants a big one.
pub fn spawn_sized(
    home: &std::path::Path,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    (rows, cols): (u16, u16),
) -> Console {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(program);
    cmd.args(args);
    cmd.env("HOME", home);
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("SITREP_TOKEN");
    cmd.env_remove("SITREP_API_URL");
    cmd.env_remove("NO_COLOR");
    for var in ["PAGERDUTY_TOKEN", "PAGERDUTY_API_URL", "PAGERDUTY_FROM"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let raw = Arc::new(Mutex::new(Vec::new()));
    // The reader polls, so it can be stopped: the master is only closed (the terminal hung
    // up) once every copy of its descriptor is.
    use std::os::fd::{AsRawFd, BorrowedFd};
    let fd = pty.master.as_raw_fd().unwrap();
    // SAFETY: the master is open here; the clone is an independent descriptor.
    let mut reader = std::fs::File::from(
        unsafe { BorrowedFd::borrow_raw(fd) }
            .try_clone_to_owned()
            .unwrap(),
    );
    let stop_reader = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (p, r, stop) = (parser.clone(), raw.clone(), stop_reader.clone());
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let mut pfd = libc::pollfd {
                fd: reader.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            if unsafe { libc::poll(&mut pfd, 1, 50) } <= 0 {
                continue;
            }
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    r.lock().unwrap().extend_from_slice(&buf[..n]);
                    p.lock().unwrap().process(&buf[..n]);
                }
            }
        }
    });
    let writer = pty.master.take_writer().unwrap();
    Console {
        screen: Screen { parser, raw },
        writer,
        child,
        master: Some(pty.master),
        stop_reader,
        reader: Some(reader),
    }
}

impl Console {
    /// Closes the master side, as an SSH server does when the connection drops: the
    /// program's terminal is hung up (reads give EOF or EIO, writes fail). Returns when the
    /// last copy of the master descriptor is closed.
    pub fn hang_up(&mut self) -> Instant {
        self.stop_reader
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        // Dropping the writer first sends a newline and EOF (portable-pty does that); the
        // master goes last.
        self.writer = Box::new(std::io::sink());
        self.master = None;
        Instant::now()
    }

    /// Waits (up to 5 s) until everything the exited program wrote has been read.
    pub fn drain(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.reader.as_ref().is_some_and(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The bytes written so far, lossily as text.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.screen.raw.lock().unwrap()).into_owned()
    }

    pub fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Whether the program exits within `d` (it is left running if not).
    pub fn exited_within(&mut self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Whether the terminal is on the alternate screen, once the exited program's last
    /// bytes have been read.
    pub fn alternate_screen_after_exit(&mut self) -> bool {
        self.drain();
        self.screen
            .parser
            .lock()
            .unwrap()
            .screen()
            .alternate_screen()
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("console did not exit:\n{}", self.screen.contents());
    }
}
