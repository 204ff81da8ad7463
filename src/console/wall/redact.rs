//! `--redact`: for screens in shared spaces. Customer names and free text (titles,
//! summaries, impact scope) become a fixed-width mask, so not even their length shows;
//! people's names become initials. Ids, severities, phases, roles and timers are not free
//! text and stay.

/// The mask for free text.
pub const MASK: &str = "▒▒▒▒▒▒▒▒";

/// Free text, masked when redacting.
pub fn text(s: &str, redact: bool) -> String {
    if redact { MASK.into() } else { s.into() }
}

/// A person's name, as initials when redacting: "Cara Diaz" → "C.D.".
pub fn person(name: &str, redact: bool) -> String {
    if !redact {
        return name.into();
    }
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .flat_map(|c| c.to_uppercase().chain(std::iter::once('.')))
        .collect();
    if initials.is_empty() {
        MASK.into()
    } else {
        initials
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_initials_and_text_a_fixed_mask() {
        assert_eq!(person("Cara Diaz", true), "C.D.");
        assert_eq!(person("alertmanager", true), "A.");
        assert_eq!(person("Cara Diaz", false), "Cara Diaz");
        assert_eq!(text("Acme Corp cluster unreachable", true), MASK);
        assert_eq!(text("short", true), MASK);
    }
}
