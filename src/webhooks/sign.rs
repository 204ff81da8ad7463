//! Signing per the Standard Webhooks specification: the signed content is
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, HMAC-SHA256 keyed with the bytes the
//! `whsec_` secret encodes, sent as `webhook-signature: v1,<base64>`.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The spec's secret prefix.
pub const PREFIX: &str = "whsec_";

/// A signing key. Never printed: its Debug says only that it is one.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// `whsec_` and the base64 of 24 to 64 bytes (the range the specification gives).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let b64 = text.trim().strip_prefix(PREFIX).ok_or_else(|| {
            format!("a webhook secret starts with {PREFIX} followed by base64 (create one with `sitrep webhook add … --secret-file NEW_FILE`)")
        })?;
        let key = STANDARD
            .decode(b64)
            .map_err(|_| format!("the part after {PREFIX} is not valid base64"))?;
        if !(24..=64).contains(&key.len()) {
            return Err(format!(
                "a webhook secret must encode 24 to 64 bytes; this one has {}",
                key.len()
            ));
        }
        Ok(Secret(key))
    }

    /// A new random secret in its text form.
    pub fn generate() -> String {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        format!("{PREFIX}{}", STANDARD.encode(key))
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// `sha256=<hex HMAC-SHA256 of the body>`: see `worker::BODY_SIGNATURE`.
    pub fn sign_body(&self, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the Standard Webhooks reference libraries' own test suites.
    #[test]
    fn signs_like_the_specification_example() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            s.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_malformed_secret_is_refused() {
        assert!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(Secret::parse("whsec_c2hvcnQ=").is_err());
        assert!(Secret::parse(&Secret::generate()).is_ok());
    }
}
