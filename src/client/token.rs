//! Bearer tokens: loaded from the environment or a private file, never from argv, never
//! printed.
use anyhow::{Context, Result, bail};
use std::fmt;
use std::path::Path;

/// A bearer token. `Debug` and `Display` are redacted so a token cannot reach a log line or
/// an error message by accident; only [`Token::expose`] hands out the secret. Comparing two
/// tokens takes the same time wherever they differ (see [`Token::matches`]).
#[derive(Clone)]
pub struct Token(String);

impl PartialEq for Token {
    fn eq(&self, other: &Token) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for Token {}

impl Token {
    pub fn new(secret: impl Into<String>) -> Self {
        Token(secret.into().trim().to_string())
    }

    /// Whether `given` (say, from a request's `Authorization` header) is this token, in
    /// constant time: how long the compare takes says nothing about how many leading bytes
    /// were right, so a caller cannot guess the secret byte by byte. Only the length, which
    /// is not secret, can end it early.
    pub fn matches(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(given.as_bytes()).into()
    }

    /// A one-way name for this token, for telling tokens apart on disk (the outbox records
    /// which token a write was queued under) without storing the secret: a SHA-256 of the
    /// token under a label of its own, so it matches no hash the server keeps.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"sitrep console queued-by v1\0");
        h.update(self.0.as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// The secret, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a token file, refusing one that anyone but its owner can read or write: a
    /// commander token on a shared jump host must not be readable by other users.
    pub fn from_file(path: &Path) -> Result<Token> {
        check_private(path)?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading token file {}", path.display()))?;
        Token::parse(&text, &format!("token file {}", path.display()))
    }

    /// A token as written by hand or by `sitrep token create > FILE`: one line, surrounding
    /// whitespace ignored. Anything else (a second line, a space or a control character
    /// inside) is refused naming `source` and what is wrong, never quoting the text: a file
    /// holding two tokens, or a token and a note, has no right answer to guess, and sending
    /// it would fail later as an unreadable header.
    pub fn parse(text: &str, source: &str) -> Result<Token> {
        let text = text.trim();
        if text.is_empty() {
            bail!("{source} is empty");
        }
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        if lines > 1 {
            bail!("{source} has {lines} lines; it must hold the token alone on one line");
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            bail!(
                "{source} holds characters a token cannot contain (spaces, control or non-ASCII characters); it must hold the token alone on one line"
            );
        }
        Ok(Token(text.to_string()))
    }

    /// Writes a token to a new file that only its owner can read (mode 0600).
    pub fn write_private(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(path)
            .with_context(|| format!("creating token file {}", path.display()))?;
        // An existing file keeps its old mode on open: tighten it explicitly.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(self.0.as_bytes())?;
        f.write_all(b"\n")?;
        Ok(())
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    crate::paths::require_private(path, "token file")
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the whole token matches: not a prefix, not a longer string, not one byte off.
    #[test]
    fn a_token_matches_itself_only() {
        let t = Token::new("sitrep_0123456789abcdef");
        assert!(t.matches("sitrep_0123456789abcdef"));
        for wrong in [
            "",
            "sitrep_0123456789abcde",
            "sitrep_0123456789abcdeg",
            "sitrep_0123456789abcdef0",
            "Sitrep_0123456789abcdef",
        ] {
            assert!(!t.matches(wrong), "{wrong}");
        }
        assert_eq!(t, Token::new(" sitrep_0123456789abcdef\n"));
        assert_ne!(t, Token::new("sitrep_0123456789abcdeg"));
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let t = Token::new("s3cr3t-value");
        assert!(!format!("{t:?} {t}").contains("s3cr3t"));
        assert_eq!(t.expose(), "s3cr3t-value");
    }

    #[test]
    fn a_token_file_holds_one_token_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "\n  sitrep_abc  \r\n\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(Token::from_file(&path).unwrap().expose(), "sitrep_abc");
        for (text, says) in [
            ("sitrep_first\nsitrep_second\n", "has 2 lines"),
            ("sitrep_a b\n", "cannot contain"),
            ("sitrep_\u{e9}\n", "cannot contain"),
            ("  \n", "is empty"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = format!("{:#}", Token::from_file(&path).unwrap_err());
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains(says), "{err}");
            assert!(
                !err.contains("sitrep_"),
                "the error quotes the token: {err}"
            );
        }
        let err = Token::parse("a\nb", "SITREP_TOKEN")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SITREP_TOKEN has 2 lines"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_token_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        Token::new("abc").write_private(&path).unwrap();
        assert_eq!(Token::from_file(&path).unwrap().expose(), "abc");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Token::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("readable by other users"), "{err}");
        assert!(err.contains("chmod 600"), "{err}");
    }
}
