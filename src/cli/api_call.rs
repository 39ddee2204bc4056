//! `customer-desk api`: one API call on the local store, the response JSON on stdout.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use crate::api::{ApiError, LocalApi, parse_json};
use crate::model::{Actor, Rights};
use crate::ndata::ListParams;
use crate::store::Store;

/// Arguments of `customer-desk api`.
#[derive(Debug, Args)]
pub struct ApiCallArgs {
    /// Act as a user holding just these rights (comma-separated). Default: every right, or
    /// on a replica of a shop server the rights of the server user who attached it.
    #[arg(long)]
    pub rights: Option<String>,
    /// GET, POST, PUT or DELETE.
    pub method: String,
    /// The route with its query, e.g. '/customers?Search=novak&$take=20'.
    pub path: String,
    /// The request body: a JSON file, or - for standard input.
    pub body: Option<PathBuf>,
}

/// A call the command line could not even make (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

/// One parsed route of the contract.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    List(ListParams),
    Create,
    Get(String),
    Upsert(String),
    Delete(String),
    AdjustCredit(String),
}

/// Matches a method and a path (with its query) to a route.
pub fn parse_route(method: &str, path_and_query: &str) -> Result<Route, UsageError> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect::<Result<_, _>>()?;
    let method = method.to_ascii_uppercase();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["customers"]) => Ok(Route::List(ListParams::from_query_string(query))),
        ("POST", ["customers"]) => Ok(Route::Create),
        ("GET", ["customers", id]) => Ok(Route::Get((*id).to_owned())),
        ("PUT", ["customers", id]) => Ok(Route::Upsert((*id).to_owned())),
        ("DELETE", ["customers", id]) => Ok(Route::Delete((*id).to_owned())),
        ("POST", ["customers", id, "credit"]) => Ok(Route::AdjustCredit((*id).to_owned())),
        _ => Err(UsageError(format!(
            "no route {method} {path} (routes: GET|POST /customers, GET|PUT|DELETE /customers/ID, POST /customers/ID/credit)"
        ))),
    }
}

fn percent_decode(segment: &str) -> Result<String, UsageError> {
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| UsageError(format!("bad path segment {segment}")))
}

/// Runs `route` and returns the response body.
pub fn call(
    api: &LocalApi,
    actor: &Actor,
    route: &Route,
    body: Option<&[u8]>,
) -> Result<Value, ApiError> {
    let body = || -> Result<Value, ApiError> {
        parse_json(body.ok_or_else(|| ApiError::invalid("body", "this route needs a JSON body"))?)
    };
    match route {
        Route::List(params) => to_json(&api.list(actor, params)?),
        Route::Create => to_json(&api.create(actor, &body()?)?),
        Route::Get(id) => to_json(&api.get(actor, id)?),
        Route::Upsert(id) => to_json(&api.upsert(actor, id, &body()?)?.customer),
        Route::Delete(id) => to_json(&api.delete(actor, id)?),
        Route::AdjustCredit(id) => to_json(&api.adjust_credit(actor, id, &body()?)?),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

fn read_body(path: &Path) -> Result<Vec<u8>, UsageError> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| UsageError(format!("cannot read the body from standard input: {e}")))?;
    } else {
        bytes = std::fs::read(path).map_err(|e| {
            UsageError(format!("cannot read the body file {}: {e}", path.display()))
        })?;
    }
    Ok(bytes)
}

/// Runs `customer-desk api`: 0 on success, 1 on an API error (problem JSON on stdout),
/// 2 on a usage error.
pub fn run(db: &Path, args: ApiCallArgs) -> ExitCode {
    let prepared = (|| -> Result<_, UsageError> {
        let rights = args
            .rights
            .as_deref()
            .map(Rights::parse_list)
            .transpose()
            .map_err(|e| UsageError(format!("--rights: {e}")))?;
        let route = parse_route(&args.method, &args.path)?;
        let body = args.body.as_deref().map(read_body).transpose()?;
        Ok((rights, route, body))
    })();
    let (rights, route, body) = match prepared {
        Ok(p) => p,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let store = match Store::open(db) {
        Ok(store) => store,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    // Only the part checked on opening: a command-line call does not wait for the rest.
    if let crate::store::Integrity::Damaged(lines) = store.integrity() {
        eprintln!(
            "warning: the database is damaged ({}); run `customer-desk doctor`",
            lines.join("; ")
        );
    }
    let api = LocalApi::with_system_clock(store);
    let actor = match (rights, crate::sync::local_actor(&api)) {
        (Some(rights), _) => Actor::new("cli", rights),
        (None, Ok(Some(server_user))) => server_user,
        (None, _) => Actor::new("cli", Rights::admin()),
    };
    let (json, code) = match call(&api, &actor, &route, body.as_deref()) {
        Ok(value) => (value, ExitCode::SUCCESS),
        Err(err) => {
            let problem = err.to_problem(Some(&args.path));
            (
                serde_json::to_value(problem).unwrap_or_default(),
                ExitCode::FAILURE,
            )
        }
    };
    match serde_json::to_string_pretty(&json) {
        Ok(text) => println!("{text}"),
        Err(err) => eprintln!("error: {err}"),
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_with_decoded_ids_and_queries() {
        assert_eq!(
            parse_route("get", "/customers/a%20b").unwrap(),
            Route::Get("a b".into())
        );
        let Route::List(params) =
            parse_route("GET", "/customers?Search=nov%C3%A1k&$take=2").unwrap()
        else {
            panic!()
        };
        assert_eq!(params.0[0], ("Search".to_owned(), "novák".to_owned()));
        assert!(parse_route("PATCH", "/customers/x").is_err());
        assert!(parse_route("GET", "/orders").is_err());
    }
}
