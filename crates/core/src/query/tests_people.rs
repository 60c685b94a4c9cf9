//! People: names, relationships, pronouns, groups, and the errors for people nobody knows.

use super::test_support::{check_table, other_people, run, run_with};

#[test]
#[rustfmt::skip]
fn names_relationships_and_pronouns() {
    check_table(
        &[
            ("Create a memory video of my wife and me in Paris", "create | all=Anna<my wife>,Alex<me> | places=city:Paris,FR"),
            ("me and my wife in Rome", "search | all=Alex<me>,Anna<my wife> | places=city:Rome,IT"),
            ("my wife and I in Venice", "search | all=Anna<my wife>,Alex<I> | places=city:Venice,IT"),
            ("Anna and I at the office", "search | all=Anna<Anna>,Alex<I> | places=user:the office"),
            ("photos of myself", "search | all=Alex<myself>"),
            ("a video of me", "search | all=Alex<me>"),
            ("show me Tom", "search | all=Tom<Tom>"),
            ("um can you make me a video of Anna", "create | all=Anna<Anna>"),
            ("photos of us in the USA", "search | all=Alex<us> | places=country:US:United States"),
            ("show us the beach", "search | things=beach"),
            ("when we were in Tokyo", "search | all=Alex<we> | places=city:Tokyo,JP"),
            ("can we see photos from Japan", "search | places=country:JP:Japan"),
            ("I want pictures of Tom", "search | all=Tom<Tom>"),
            ("everything with mom in 2024", "search | all=Maria<mom> | time=2024-01-01..2025-01-01<2024>"),
            ("with my mum", "search | all=Maria<my mum>"),
            ("Mommy and Tom", "search | all=Maria<Mommy>,Tom<Tom>"),
            ("MOTHER", "search | all=Maria<MOTHER>"),
            ("my son at the beach", "search | all=Tom<my son> | things=beach"),
            ("anna and tom", "search | all=Anna<anna>,Tom<tom>"),
            ("Anna's bike", "search | all=Anna<Anna's> | things=bicycle"),
            ("Sam Lee and me", "search | all=Sam Lee<Sam Lee>,Alex<me>"),
            ("sam lee's dog", "search | all=Sam Lee<sam lee's> | things=dog"),
            ("Sam's wedding", "search | all=Sam Lee<Sam's> | things=wedding"),
            ("my friend Sam", "search | all=Sam Lee<Sam>"),
            ("my wife Anna in Rome", "search | all=Anna<Anna> | places=city:Rome,IT"),
            ("my best friend", "search | all=Sam Lee<my best friend>"),
            ("Tom and Tom", "search | all=Tom<Tom>"),
            ("my wife and Anna", "search | all=Anna<my wife>"),
            ("with Anna in Anna", "search | all=Anna<Anna> | places=city:Anna,US"),
            ("a friend at the park", "search | things=park | words=friend"),
            ("with Lee", "search | all=Sam Lee<Lee>"),
            ("my other half", "search | all=Anna<my other half>"),
            ("photos with my wife's mom", "search | all=Anna<my wife's> | words=mom"),
            ("Tom's friends", "search | all=Tom<Tom's> | words=friends"),
        ],
        run,
    );
}

#[test]
#[rustfmt::skip]
fn groups_of_people() {
    check_table(
        &[
            ("with friends in London", "search | any=[friends: Sam Lee] | places=city:London,GB"),
            ("my family at home", "search | any=[my family: Anna,Tom,Maria] | places=user:home"),
            ("family", "search | any=[family: Anna,Tom,Maria]"),
            ("Anna and my family", "search | all=Anna<Anna> | any=[my family: Tom,Maria]"),
            ("the kids at grandma's house", "search | any=[the kids: Tom] | places=user:grandma's"),
            ("my kids", "search | any=[my kids: Tom]"),
            ("children in the snow", "search | any=[children: Tom] | things=snow"),
            ("Anna or Tom", "search | any=[Anna or Tom: Anna,Tom]"),
            ("Anna, Tom or Maria", "search | any=[Anna, Tom or Maria: Anna,Tom,Maria]"),
            ("me or my wife", "search | any=[me or my wife: Alex,Anna]"),
            ("Anna, Tom and Maria", "search | all=Anna<Anna>,Tom<Tom>,Maria<Maria>"),
            ("Anna & Tom", "search | all=Anna<Anna>,Tom<Tom>"),
        ],
        run,
    );
}

#[test]
#[rustfmt::skip]
fn people_nobody_knows_are_errors() {
    check_table(
        &[
            ("with Bob", "err=UnknownPerson(Bob)"),
            ("Bob and me in Rome", "err=UnknownPerson(Bob)"),
            ("me and Bob", "err=UnknownPerson(Bob)"),
            ("Bob and I", "err=UnknownPerson(Bob)"),
            ("a video of Bob", "err=UnknownPerson(Bob)"),
            ("Bob\u{2019}s wedding", "err=UnknownPerson(Bob)"),
            ("my friend Bob", "err=UnknownPerson(Bob)"),
            ("Anna, Bob and Tom", "err=UnknownPerson(Bob)"),
            ("with Bob Smith at the lake", "err=UnknownPerson(Bob Smith)"),
            ("photos with Victoria", "err=UnknownPerson(Victoria)"),
            ("my sister", "err=UnknownRelationship(sister)"),
            ("with my brother", "err=UnknownRelationship(brother)"),
            ("dad at the beach", "err=UnknownRelationship(dad)"),
            ("my colleagues", "err=UnknownRelationship(colleagues)"),
            ("with grandma", "err=UnknownRelationship(grandma)"),
            ("mom and dad", "err=UnknownRelationship(dad)"),
            // A name in a person's position is a person, even if a town has that name.
            ("with Paris", "err=UnknownPerson(Paris)"),
            ("with Mr. Smith", "err=UnknownPerson(Mr. Smith)"),
        ],
        run,
    );
}

#[test]
#[rustfmt::skip]
fn another_household() {
    check_table(
        &[
            ("the kids", "search | any=[the kids: Tom,Lily]"),
            ("my son and my daughter", "search | all=Tom<my son>,Lily<my daughter>"),
            ("with Jo", "search | any=[Jo: Jo Smith,Jo Brown]"),
            ("Jo Smith at the zoo", "search | all=Jo Smith<Jo Smith> | things=zoo"),
            ("my sister-in-law", "search | all=Jo Smith<my sister-in-law>"),
            ("my godmother", "search | all=Jo Brown<my godmother>"),
            ("the neighbours", "search | any=[the neighbours: June]"),
            ("with June in June", "search | all=June<June> | time=2026-06-01..2026-07-01<June>"),
            ("my husband's birthday", "search | time=2026-02-28..2026-03-01<my husband's birthday>"),
            ("Tom's 10th birthday", "search | time=2025-02-03..2025-02-04<Tom's 10th birthday>"),
            ("my kid's birthday", "err=AmbiguousPerson(my kid: Tom or Lily)"),
            ("the kids and my husband", "search | all=Ben<my husband> | any=[the kids: Tom,Lily]"),
            ("me at the beach", "err=UnknownSelf"),
            ("my husband's sister", "search | all=Jo Smith<my husband's sister>"),
            ("Ben's parents", "search | all=Ben<Ben's> | words=parents"),
            ("my family", "search | any=[my family: Tom,Lily,Jo Smith,Ben]"),
        ],
        |query| run_with(query, &other_people()),
    );
}
