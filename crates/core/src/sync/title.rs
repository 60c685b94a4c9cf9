//! An item's user-given title.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_TITLE_CHARS: usize = 200;

/// A trimmed, single-line title of 1 to 200 characters. No title at all is `None`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error("title is empty (send null to clear it)")]
    Empty,
    #[error("title is longer than {MAX_TITLE_CHARS} characters")]
    TooLong,
    #[error("title contains a control character")]
    ControlChar,
}

impl Title {
    pub fn parse(text: &str) -> Result<Self, TitleError> {
        let title = text.trim();
        if title.chars().any(char::is_control) {
            return Err(TitleError::ControlChar);
        }
        match title.chars().count() {
            0 => Err(TitleError::Empty),
            n if n > MAX_TITLE_CHARS => Err(TitleError::TooLong),
            _ => Ok(Self(title.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Title {
    type Error = TitleError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Title> for String {
    fn from(title: Title) -> Self {
        title.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_validates() {
        assert_eq!(Title::parse("  Beach day ").unwrap().as_str(), "Beach day");
        assert_eq!(Title::parse("   "), Err(TitleError::Empty));
        assert_eq!(
            Title::parse(&"é".repeat(200)).map(|t| t.0.chars().count()),
            Ok(200)
        );
        assert_eq!(Title::parse(&"é".repeat(201)), Err(TitleError::TooLong));
        assert_eq!(Title::parse("two\nlines"), Err(TitleError::ControlChar));
        let err = serde_json::from_str::<Title>(&format!("\"{}\"", "x".repeat(201)));
        assert!(err.unwrap_err().to_string().contains("longer than 200"));
    }
}
