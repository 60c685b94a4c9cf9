//! Objects and scenes named in the query, mapped to vocabulary labels.

use super::people::phrase_of;
use super::token::{Role, Tokens};
use super::vocabulary::{MAX_PHRASE_WORDS, label_for};

/// Claims vocabulary phrases, longest first, and returns their labels in order of mention.
pub(crate) fn extract(t: &mut Tokens) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let found = (1..=MAX_PHRASE_WORDS)
            .rev()
            .filter(|&n| t.free_run(i, i + n))
            .find_map(|n| label_for(&phrase_of(t, i, i + n)).map(|label| (label, n)));
        let Some((label, n)) = found else {
            i += 1;
            continue;
        };
        if !labels.iter().any(|l| l == label) {
            labels.push(label.to_owned());
        }
        t.claim(i, i + n, Role::Thing);
        i += n;
    }
    labels
}
