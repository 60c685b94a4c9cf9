//! Two renderings of an understood query: a stable cache key and a short echo for the user.

use super::model::{Intent, KnownPerson, Place, QueryContext, Understood};
use crate::ids::PersonId;
use chrono::{Days, NaiveDate};

/// Version of the key format; bump when the meaning of a query changes with the parser.
const KEY_VERSION: &str = "q1";

impl Understood {
    /// A key equal for queries that mean the same thing: independent of word order, case,
    /// punctuation and of how people were named ("my wife" and "Anna" give the same key).
    /// Dates are resolved, so the key of "last summer" changes when the season does.
    pub fn canonical(&self) -> String {
        let mut parts = vec![KEY_VERSION.to_owned()];
        parts.push(match self.intent {
            Intent::CreateMemory => "create".to_owned(),
            Intent::Search => "search".to_owned(),
        });
        if let Some(seconds) = self.duration_seconds {
            parts.push(format!("dur={seconds}"));
        }
        let all = sorted(self.people_all.iter().map(|m| m.person.to_string()));
        if !all.is_empty() {
            parts.push(format!("all={}", all.join(",")));
        }
        let groups = sorted(
            self.people_any
                .iter()
                .map(|g| sorted(g.members.iter().map(PersonId::to_string)).join("+")),
        );
        if !groups.is_empty() {
            parts.push(format!("any={}", groups.join("|")));
        }
        let places = sorted(self.places.iter().map(place_key));
        if !places.is_empty() {
            parts.push(format!("places={}", places.join("|")));
        }
        if let Some(time) = &self.time {
            parts.push(format!("time={}/{}", time.start, time.end));
        }
        let things = sorted(self.things.iter().map(|t| escape(t)));
        if !things.is_empty() {
            parts.push(format!("things={}", things.join(",")));
        }
        let words = sorted(self.words.iter().map(|w| escape(&w.to_lowercase())));
        if !words.is_empty() {
            parts.push(format!("words={}", words.join(",")));
        }
        parts.join(";")
    }

    /// A one-line echo of what was understood, e.g.
    /// "memory video · with Anna (wife) and you · in Paris (FR) · 1 Jun 2026 – 31 Aug 2026".
    pub fn describe(&self, ctx: &QueryContext) -> String {
        let mut parts = Vec::new();
        parts.push(match (self.intent, self.duration_seconds) {
            (Intent::CreateMemory, Some(seconds)) => {
                format!("{} memory video", duration_text(seconds))
            }
            (Intent::CreateMemory, None) => "memory video".to_owned(),
            (Intent::Search, _) => "search".to_owned(),
        });
        let mut people: Vec<String> = self
            .people_all
            .iter()
            .map(|m| person_text(ctx.people, m.person))
            .collect();
        for group in &self.people_any {
            let members: Vec<String> = group
                .members
                .iter()
                .map(|&id| person_text(ctx.people, id))
                .collect();
            people.push(match members.as_slice() {
                [one] => one.clone(),
                _ => format!("any of {}", join(&members, "or")),
            });
        }
        if !people.is_empty() {
            parts.push(format!("with {}", join(&people, "and")));
        }
        let places: Vec<String> = self.places.iter().map(place_text).collect();
        if !places.is_empty() {
            parts.push(join(&places, "or"));
        }
        if let Some(time) = &self.time {
            let last = time.end.checked_sub_days(Days::new(1)).unwrap_or(time.end);
            parts.push(if last <= time.start {
                date_text(time.start)
            } else {
                format!("{} – {}", date_text(time.start), date_text(last))
            });
        }
        if !self.things.is_empty() {
            parts.push(format!("showing {}", join(&self.things, "and")));
        }
        if !self.words.is_empty() {
            parts.push(format!("matching \"{}\"", self.words.join(" ")));
        }
        parts.join(" · ")
    }
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    items.sort();
    items.dedup();
    items
}

/// Keeps the key's separators unambiguous whatever a name contains.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' | ';' | '|' | ',' | '=' | ':' | '+' | '/' => {
                out.push_str(&format!("%{:02X}", u32::from(c)))
            }
            _ => out.push(c),
        }
    }
    out
}

fn place_key(place: &Place) -> String {
    match place {
        Place::City { name, country_code } => format!(
            "city:{}:{}",
            escape(&name.to_lowercase()),
            escape(&country_code.to_lowercase())
        ),
        Place::Region { name, country_code } => format!(
            "region:{}:{}",
            escape(&name.to_lowercase()),
            escape(&country_code.to_lowercase())
        ),
        Place::Country { code, .. } => format!("country:{}", escape(&code.to_lowercase())),
        Place::UserPlace { id, .. } => format!("user:{id}"),
    }
}

fn place_text(place: &Place) -> String {
    match place {
        Place::City { name, country_code } | Place::Region { name, country_code } => {
            format!("in {name} ({country_code})")
        }
        Place::Country { name, .. } => format!("in {name}"),
        Place::UserPlace { name, .. } => format!("at {name}"),
    }
}

fn person_text(people: &[KnownPerson], id: PersonId) -> String {
    match people.iter().find(|p| p.id == id) {
        Some(person) if person.is_me => "you".to_owned(),
        Some(person) => match person
            .relationship
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(relationship) => format!("{} ({relationship})", person.name),
            None => person.name.clone(),
        },
        None => "someone".to_owned(),
    }
}

fn date_text(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

fn duration_text(seconds: u32) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// "a", "a and b", "a, b and c".
fn join(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}
