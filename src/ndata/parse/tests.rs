use proptest::prelude::*;

use super::*;
use crate::ndata::QueryError;

fn parse(query: &str) -> Result<ListQuery, QueryError> {
    parse_list_query(&ListParams::from_query_string(query))
}

fn member_of(err: QueryError) -> String {
    err.parameter
}

#[test]
fn plain_value_is_eq_with_the_whole_value() {
    let q = parse("ExternalId=ABC:12&IsActive=TRUE").unwrap();
    assert_eq!(q.filters[0].op, Operator::Eq);
    assert_eq!(q.filters[0].args, vec![Scalar::Text("ABC:12".into())]);
    assert_eq!(q.filters[1].args, vec![Scalar::Bool(true)]);
}

#[test]
fn one_argument_operator_takes_the_rest_with_colons() {
    let q = parse("ExpirationTime=lt:2024-01-01T10:00:00Z").unwrap();
    assert_eq!(q.filters[0].op, Operator::Lt);
    assert!(matches!(q.filters[0].args[0], Scalar::Time(_)));
}

#[test]
fn several_arguments_split_with_escapes() {
    let q = parse(r"ExternalId=in:a\:b:c\;d:e\\f").unwrap();
    let args: Vec<_> = q.filters[0].args.clone();
    assert_eq!(
        args,
        vec![
            Scalar::Text("a:b".into()),
            Scalar::Text("c;d".into()),
            Scalar::Text(r"e\f".into())
        ]
    );
}

#[test]
fn semicolons_and_repeated_members_and_together() {
    let q = parse("DiscountRate=ge:5;lt:10&discountrate=ne:7").unwrap();
    assert_eq!(q.filters.len(), 3);
    assert!(q.filters.iter().all(|f| f.member == Member::DiscountRate));
}

#[test]
fn aliases_and_case_of_operators() {
    for (text, op) in [
        ("NEQ:1", Operator::Ne),
        ("gte:1", Operator::Ge),
        ("LTE:1", Operator::Le),
    ] {
        let q = parse(&format!("CreditRate={text}")).unwrap();
        assert_eq!(q.filters[0].op, op);
    }
    let q = parse("ExternalId=contains:ab").unwrap();
    assert_eq!(q.filters[0].op, Operator::Like);
}

#[test]
fn errors_name_the_parameter() {
    assert_eq!(
        member_of(parse("DiscountRate=gt:abc").unwrap_err()),
        "DiscountRate"
    );
    assert_eq!(
        member_of(parse("IsActive=gt:true").unwrap_err()),
        "IsActive"
    );
    assert_eq!(
        member_of(parse("CreditRate=between:1").unwrap_err()),
        "CreditRate"
    );
    assert_eq!(
        member_of(parse("CardSerialNumber=null").unwrap_err()),
        "CardSerialNumber"
    );
    assert_eq!(
        member_of(parse("ExpirationTime=lt:yesterday").unwrap_err()),
        "ExpirationTime"
    );
    assert_eq!(member_of(parse("$sort=shoeSize").unwrap_err()), "$sort");
    assert_eq!(member_of(parse("$take=-1").unwrap_err()), "$take");
    assert_eq!(member_of(parse("$skip=abc").unwrap_err()), "$skip");
    assert_eq!(
        member_of(parse("IsExpired=eq:true").unwrap_err()),
        "IsExpired"
    );
    assert_eq!(
        parse("DiscountRate=gt:abc").unwrap_err(),
        QueryError {
            parameter: "DiscountRate".into(),
            message: "\"abc\" is not a decimal number (e.g. 12.5)".into()
        }
    );
}

#[test]
fn sort_syntax_and_repeats() {
    let q = parse("$sort=-LastName,firstName:DESC,lastName&$sort=credit.amount:asc").unwrap();
    let keys: Vec<_> = q.sort.iter().map(|k| (k.field, k.descending)).collect();
    assert_eq!(
        keys,
        vec![
            (SortField::LastName, true),
            (SortField::FirstName, true),
            (SortField::CreditAmount, false)
        ]
    );
}

#[test]
fn unknown_parameters_are_ignored_and_names_are_case_insensitive() {
    let q = parse("foo=bar&$TAKE=5&search=Čierny%20Ján").unwrap();
    assert_eq!(q.take, Some(5));
    assert_eq!(q.search, vec!["cierny".to_owned(), "jan".to_owned()]);
}

#[test]
fn null_operators_take_no_argument() {
    let q = parse("ExpirationTime=null&ExternalId=notnull").unwrap();
    assert_eq!(q.filters[0].op, Operator::Null);
    assert_eq!(q.filters[1].op, Operator::NotNull);
    assert!(parse("ExpirationTime=null:2024-01-01").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the text, parsing returns (never panics), and an error names one of the
    /// parameters that were sent.
    #[test]
    fn never_panics_and_errors_name_a_parameter(
        name in prop::sample::select(vec![
            "CardSerialNumber", "ExternalId", "CreditRate", "DiscountRate", "IsActive",
            "ExpirationTime", "IsExpired", "Search", "$sort", "$skip", "$take", "$count",
        ]),
        value in ".{0,80}",
    ) {
        let params = ListParams(vec![(name.to_owned(), value)]);
        if let Err(err) = parse_list_query(&params) {
            prop_assert_eq!(&err.parameter, name);
            prop_assert!(!err.message.is_empty());
        }
    }

    /// Operator-shaped input built from the real vocabulary: same guarantee.
    #[test]
    fn structured_input_never_panics(
        member in prop::sample::select(Member::ALL.iter().map(|(_, n)| *n).collect::<Vec<_>>()),
        op in prop::sample::select(Operator::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
        args in prop::collection::vec("[0-9a-zA-Z:;\\\\.\\-TZ]{0,12}", 0..4),
    ) {
        let value = format!("{op}:{}", args.join(":"));
        let params = ListParams(vec![(member.to_owned(), value)]);
        if let Err(err) = parse_list_query(&params) {
            prop_assert_eq!(&err.parameter, member);
        }
    }

    /// Query strings survive the trip to text and back.
    #[test]
    fn query_string_round_trips(pairs in prop::collection::vec(("[$A-Za-z]{1,8}", ".{0,20}"), 0..5)) {
        let params = ListParams(pairs);
        prop_assert_eq!(ListParams::from_query_string(&params.to_query_string()), params);
    }
}
