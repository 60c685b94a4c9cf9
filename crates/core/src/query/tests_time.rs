//! Time expressions, resolved against Sunday 2026-11-22.

use super::test_support::{check_table, run};

#[test]
fn days_weeks_months_and_years() {
    check_table(
        &[
            ("today", "search | time=2026-11-22..2026-11-23<today>"),
            (
                "tonight at home",
                "search | places=user:home | time=2026-11-22..2026-11-23<tonight>",
            ),
            (
                "yesterday in the snow",
                "search | time=2026-11-21..2026-11-22<yesterday> | things=snow",
            ),
            (
                "the day before yesterday",
                "search | time=2026-11-20..2026-11-21<the day before yesterday>",
            ),
            (
                "last night",
                "search | time=2026-11-21..2026-11-22<last night>",
            ),
            (
                "this week",
                "search | time=2026-11-16..2026-11-23<this week>",
            ),
            (
                "last week",
                "search | time=2026-11-09..2026-11-16<last week>",
            ),
            (
                "this weekend",
                "search | time=2026-11-21..2026-11-23<this weekend>",
            ),
            (
                "last weekend",
                "search | time=2026-11-14..2026-11-16<last weekend>",
            ),
            (
                "over the weekend",
                "search | time=2026-11-21..2026-11-23<the weekend>",
            ),
            (
                "this month",
                "search | time=2026-11-01..2026-12-01<this month>",
            ),
            (
                "last month",
                "search | time=2026-10-01..2026-11-01<last month>",
            ),
            (
                "earlier this month",
                "search | time=2026-11-01..2026-11-23<earlier this month>",
            ),
            (
                "this year",
                "search | time=2026-01-01..2027-01-01<this year>",
            ),
            (
                "last year",
                "search | time=2025-01-01..2026-01-01<last year>",
            ),
            ("in 2024", "search | time=2024-01-01..2025-01-01<2024>"),
            (
                "the year 2019",
                "search | time=2019-01-01..2020-01-01<year 2019>",
            ),
            ("in 2101", "search | words=2101"),
            (
                "March 2023",
                "search | time=2023-03-01..2023-04-01<March 2023>",
            ),
            (
                "March of 2023",
                "search | time=2023-03-01..2023-04-01<March of 2023>",
            ),
            ("in March", "search | time=2026-03-01..2026-04-01<March>"),
            (
                "in December",
                "search | time=2025-12-01..2026-01-01<December>",
            ),
            (
                "last March",
                "search | time=2026-03-01..2026-04-01<last March>",
            ),
            (
                "this December",
                "search | time=2026-12-01..2027-01-01<this December>",
            ),
            (
                "Tom in May",
                "search | all=Tom<Tom> | time=2026-05-01..2026-06-01<May>",
            ),
            ("in may", "search | time=2026-05-01..2026-06-01<may>"),
            ("may I see videos of Tom", "search | all=Tom<Tom>"),
            (
                "protest march in March",
                "search | time=2026-03-01..2026-04-01<March> | words=protest,march",
            ),
            (
                "in March with Anna in 2024",
                "search | all=Anna<Anna> | time=2024-03-01..2024-04-01<March … 2024>",
            ),
            (
                "Sunday at the park",
                "search | time=2026-11-22..2026-11-23<Sunday> | things=park",
            ),
            (
                "on Saturday",
                "search | time=2026-11-21..2026-11-22<Saturday>",
            ),
            (
                "last Saturday",
                "search | time=2026-11-21..2026-11-22<last Saturday>",
            ),
            (
                "last Sunday",
                "search | time=2026-11-15..2026-11-16<last Sunday>",
            ),
            (
                "this Friday",
                "search | time=2026-11-20..2026-11-21<this Friday>",
            ),
        ],
        run,
    );
}

#[test]
fn seasons_spans_and_relative_periods() {
    check_table(
        &[
            (
                "summer 2024",
                "search | time=2024-06-01..2024-09-01<summer 2024>",
            ),
            (
                "the summer of 2024",
                "search | time=2024-06-01..2024-09-01<summer of 2024>",
            ),
            (
                "last summer",
                "search | time=2026-06-01..2026-09-01<last summer>",
            ),
            (
                "this summer",
                "search | time=2026-06-01..2026-09-01<this summer>",
            ),
            (
                "in the summer",
                "search | time=2026-06-01..2026-09-01<summer>",
            ),
            (
                "winter 2023",
                "search | time=2023-12-01..2024-03-01<winter 2023>",
            ),
            (
                "last winter",
                "search | time=2025-12-01..2026-03-01<last winter>",
            ),
            (
                "this winter",
                "search | time=2026-12-01..2027-03-01<this winter>",
            ),
            ("in the fall", "search | time=2026-09-01..2026-12-01<fall>"),
            (
                "autumn 2025",
                "search | time=2025-09-01..2025-12-01<autumn 2025>",
            ),
            ("spring", "search | time=2026-03-01..2026-06-01<spring>"),
            (
                "summer 1850",
                "search | time=2026-06-01..2026-09-01<summer> | words=1850",
            ),
            (
                "between May and July",
                "search | time=2026-05-01..2026-08-01<between May and July>",
            ),
            (
                "between May and July 2024",
                "search | time=2024-05-01..2024-08-01<between May and July 2024>",
            ),
            (
                "from March to June",
                "search | time=2026-03-01..2026-07-01<from March to June>",
            ),
            (
                "May\u{2013}July",
                "search | time=2026-05-01..2026-08-01<May\u{2013}July>",
            ),
            (
                "from May 2023 to June 2024",
                "search | time=2023-05-01..2024-07-01<from May 2023 to June 2024>",
            ),
            (
                "between November and February",
                "search | time=2026-11-01..2027-03-01<between November and February>",
            ),
            (
                "from Christmas to new year",
                "search | time=2025-12-24..2026-01-02<from Christmas to new year>",
            ),
            (
                "2 years ago",
                "search | time=2024-01-01..2025-01-01<2 years ago>",
            ),
            (
                "3 days ago",
                "search | time=2026-11-19..2026-11-20<3 days ago>",
            ),
            (
                "a week ago",
                "search | time=2026-11-09..2026-11-16<a week ago>",
            ),
            (
                "a month ago",
                "search | time=2026-10-01..2026-11-01<a month ago>",
            ),
            (
                "a couple of years ago",
                "search | time=2024-01-01..2025-01-01<a couple of years ago>",
            ),
            (
                "the last 7 days",
                "search | time=2026-11-16..2026-11-23<the last 7 days>",
            ),
            (
                "past month",
                "search | time=2026-10-23..2026-11-23<past month>",
            ),
            (
                "the past few days",
                "search | time=2026-11-20..2026-11-23<the past few days>",
            ),
            (
                "last 3 months",
                "search | time=2026-08-23..2026-11-23<last 3 months>",
            ),
            (
                "over the past year",
                "search | time=2025-11-23..2026-11-23<the past year>",
            ),
            (
                "recently with Tom",
                "search | all=Tom<Tom> | time=2026-10-24..2026-11-23<recently>",
            ),
            (
                "this time last year",
                "search | time=2025-11-15..2025-11-30<this time last year>",
            ),
            (
                "early 2024",
                "search | time=2024-01-01..2024-05-01<early 2024>",
            ),
            ("late May", "search | time=2026-05-21..2026-06-01<late May>"),
            ("mid-2025", "search | time=2025-05-01..2025-09-01<mid-2025>"),
            (
                "early this year",
                "search | time=2026-01-01..2026-05-01<early this year>",
            ),
            (
                "since 2024",
                "search | time=2024-01-01..2026-11-23<since 2024>",
            ),
            (
                "since March",
                "search | time=2026-03-01..2026-11-23<since March>",
            ),
            (
                "before 2020",
                "search | time=1900-01-01..2020-01-01<before 2020>",
            ),
            (
                "after last summer",
                "search | time=2026-09-01..2026-11-23<after last summer>",
            ),
            (
                "until 2010",
                "search | time=1900-01-01..2011-01-01<until 2010>",
            ),
            (
                "2019-2021",
                "search | time=2019-01-01..2022-01-01<2019-2021>",
            ),
            (
                "between 2019 and 2021",
                "search | time=2019-01-01..2022-01-01<between 2019 and 2021>",
            ),
            (
                "photos from the 90s",
                "search | time=1990-01-01..2000-01-01<90s>",
            ),
            ("the 1990s", "search | time=1990-01-01..2000-01-01<1990s>"),
            ("in the 80s", "search | time=1980-01-01..1990-01-01<80s>"),
        ],
        run,
    );
}

#[test]
fn dates_holidays_and_birthdays() {
    check_table(
        &[
            (
                "on 12 May 2024",
                "search | time=2024-05-12..2024-05-13<12 May 2024>",
            ),
            ("May 12", "search | time=2026-05-12..2026-05-13<May 12>"),
            (
                "May 12th, 2024",
                "search | time=2024-05-12..2024-05-13<May 12th, 2024>",
            ),
            (
                "2024-05-12",
                "search | time=2024-05-12..2024-05-13<2024-05-12>",
            ),
            (
                "2024/05/12",
                "search | time=2024-05-12..2024-05-13<2024/05/12>",
            ),
            (
                "on 31.12.2023",
                "search | time=2023-12-31..2024-01-01<31.12.2023>",
            ),
            (
                "12th of May",
                "search | time=2026-05-12..2026-05-13<12th of May>",
            ),
            (
                "the 4th of July",
                "search | time=2026-07-04..2026-07-05<4th of July>",
            ),
            (
                "Christmas",
                "search | time=2025-12-24..2025-12-27<Christmas>",
            ),
            (
                "last Christmas",
                "search | time=2025-12-24..2025-12-27<last Christmas>",
            ),
            (
                "Christmas 2024",
                "search | time=2024-12-24..2024-12-27<Christmas 2024>",
            ),
            (
                "Christmas with mom in 2023",
                "search | all=Maria<mom> | time=2023-12-24..2023-12-27<Christmas … 2023>",
            ),
            (
                "christmas eve",
                "search | time=2025-12-24..2025-12-25<christmas eve>",
            ),
            (
                "new year's eve",
                "search | time=2025-12-31..2026-01-01<new year's eve>",
            ),
            (
                "New Years Eve 2023",
                "search | time=2023-12-31..2024-01-01<New Years Eve 2023>",
            ),
            ("new year", "search | time=2025-12-31..2026-01-02<new year>"),
            (
                "halloween",
                "search | time=2026-10-31..2026-11-01<halloween>",
            ),
            ("easter", "search | time=2026-04-03..2026-04-07<easter>"),
            (
                "thanksgiving",
                "search | time=2025-11-27..2025-12-01<thanksgiving>",
            ),
            (
                "valentine's day",
                "search | time=2026-02-14..2026-02-15<valentine's day>",
            ),
            (
                "on my birthday",
                "search | time=2026-07-04..2026-07-05<my birthday>",
            ),
            (
                "my 30th birthday",
                "search | time=2020-07-04..2020-07-05<my 30th birthday>",
            ),
            (
                "my last birthday",
                "search | time=2026-07-04..2026-07-05<my last birthday>",
            ),
            (
                "mom's birthday",
                "search | time=2026-03-14..2026-03-15<mom's birthday>",
            ),
            (
                "mom's birthday in 2020",
                "search | time=2020-03-14..2020-03-15<mom's birthday in 2020>",
            ),
            (
                "Alex's birthday",
                "search | time=2026-07-04..2026-07-05<Alex's birthday>",
            ),
            (
                "my birthday party",
                "search | time=2026-07-04..2026-07-05<my birthday> | things=party",
            ),
            ("on Anna's birthday", "err=UnknownBirthday(Anna's)"),
            ("my wife's birthday", "err=UnknownBirthday(Anna's)"),
            ("Bob's birthday", "err=UnknownPerson(Bob)"),
            ("my sister's birthday", "err=UnknownRelationship(sister)"),
            ("30 February", "err=InvalidDate(30 February)"),
            ("February 30 2024", "err=InvalidDate(February 30 2024)"),
            ("2023-02-29", "err=InvalidDate(2023-02-29)"),
        ],
        run,
    );
}
