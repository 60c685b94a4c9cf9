//! Why a query could not be understood, phrased so the message can be shown to the user.

/// Queries longer than this many characters are refused.
pub const MAX_QUERY_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("The query is empty; say what you are looking for")]
    Empty,
    #[error("The query is {chars} characters long; keep it under {max}")]
    TooLong { chars: usize, max: usize },
    #[error("I don't know anyone called \"{word}\"; name a person first")]
    UnknownPerson { word: String },
    #[error("Nobody is marked as your \"{word}\"; set that relationship on a person first")]
    UnknownRelationship { word: String },
    #[error("I don't know {whose} birthday; add it to the person first")]
    UnknownBirthday {
        /// "your", or a possessive such as "Anna's".
        whose: String,
    },
    #[error("I don't know which person is you; mark yourself among your people first")]
    UnknownSelf,
    #[error("\"{word}\" could mean {candidates}; use a name instead")]
    AmbiguousPerson { word: String, candidates: String },
    #[error("\"{phrase}\" is not a date in the calendar")]
    InvalidDate { phrase: String },
}

impl QueryError {
    /// Stable machine-readable code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "query_empty",
            Self::TooLong { .. } => "query_too_long",
            Self::UnknownPerson { .. } => "unknown_person",
            Self::UnknownRelationship { .. } => "unknown_relationship",
            Self::UnknownBirthday { .. } => "unknown_birthday",
            Self::UnknownSelf => "unknown_self",
            Self::AmbiguousPerson { .. } => "ambiguous_person",
            Self::InvalidDate { .. } => "invalid_date",
        }
    }
}
