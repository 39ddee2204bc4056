//! What the service's typed errors mean, in the words the window shows people.

use crate::api::ApiError;
use crate::service::ServiceError;

/// Why a sign-in (or creating the owner account) did not work.
pub fn sign_in_failure(error: &ApiError) -> String {
    match error {
        ApiError::Unauthorized(_) => "Wrong user name or password.".to_owned(),
        ApiError::Unavailable(why) => format!("The server could not be reached: {why}"),
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
