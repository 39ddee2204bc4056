//! What the service's typed errors mean, in the words the window shows people.

use crate::api::ApiError;
use crate::service::ServiceError;

/// Why a sign-in (or creating the owner account) did not work.
pub fn sign_in_failure(error: &ApiError) -> String {
    match error {
        ApiError::Unauthorized(_) => "Wrong user name or password.".to_owned(),
        ApiError::Unavailable(why) => {
            // The last link of the chain is the cause a person can act on ("Connection
            // refused"); the rest is the HTTP client's own wording.
            let cause = why.rsplit(": ").next().unwrap_or(why).trim();
            format!(
                "The server could not be reached: check the address and that it is running. ({cause})"
            )
        }
        other => other.to_string(),
    }
}

/// Why the service could not take a command or open the store.
pub fn service_failure(error: &ServiceError) -> String {
    match error {
        ServiceError::StoreUnavailable(reason) => reason.clone(),
        ServiceError::Api(error) => error.to_string(),
        ServiceError::NotStarted(why) => format!("the store service could not start: {why}"),
        ServiceError::Busy => "the store is busy; try again in a moment".to_owned(),
        ServiceError::Stopped => "the store service has stopped".to_owned(),
    }
}

/// What the integrity check found wrong with the database file, for a person: what it means
/// and what to do, with SQLite's first finding for whoever repairs it.
pub fn store_damaged(lines: &[String]) -> String {
    let first = lines.first().map_or("", String::as_str);
    format!(
        "The database file is damaged, so some customers may be missing or fail to open. \
         Close Customer Desk and run `customer-desk doctor --repair`, or put back the latest \
         backup. (SQLite found {} problems; the first: {first})",
        lines.len()
    )
}
