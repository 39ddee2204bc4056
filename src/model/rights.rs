//! Rights and the acting user.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One right of the contract. Names compare case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Right {
    CustomerCreate,
    CustomerUpdate,
    CustomerDelete,
    CustomerSetCredit,
    CustomerSetDiscount,
    /// Every right.
    Admin,
}

impl Right {
    /// All rights, in the order they are listed to people.
    pub const ALL: [Right; 6] = [
        Right::CustomerCreate,
        Right::CustomerUpdate,
        Right::CustomerDelete,
        Right::CustomerSetCredit,
        Right::CustomerSetDiscount,
        Right::Admin,
    ];

    /// The contract's name of the right.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::CustomerCreate => "customerCreate",
            Right::CustomerUpdate => "customerUpdate",
            Right::CustomerDelete => "customerDelete",
            Right::CustomerSetCredit => "customerSetCredit",
            Right::CustomerSetDiscount => "customerSetDiscount",
            Right::Admin => "admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Right {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Right::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let known: Vec<_> = Right::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown right \"{s}\" (known: {})", known.join(", "))
            })
    }
}

/// A set of rights. `admin` implies every other right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights(u8);

impl Rights {
    /// No right at all: a user who can only read.
    pub const NONE: Rights = Rights(0);

    /// Only `admin`, which holds every right.
    pub fn admin() -> Self {
        Rights(Right::Admin.bit())
    }

    /// Whether the set grants `right` (directly or through `admin`).
    pub fn has(self, right: Right) -> bool {
        self.0 & (right.bit() | Right::Admin.bit()) != 0
    }

    /// The set with `right` added.
    pub fn with(self, right: Right) -> Self {
        Rights(self.0 | right.bit())
    }

    /// The set with `right` taken away (`admin` alone: the others it stood for stay out).
    pub fn without(self, right: Right) -> Self {
        Rights(self.0 & !right.bit())
    }

    /// The rights listed in the set, by their contract names.
    pub fn names(self) -> Vec<String> {
        Right::ALL
            .into_iter()
            .filter(|r| self.0 & r.bit() != 0)
            .map(|r| r.as_str().to_owned())
            .collect()
    }

    /// Reads a comma-separated list such as `customerCreate,CustomerUpdate`; empty means none.
    pub fn parse_list(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .try_fold(Rights::NONE, |acc, name| {
                Ok(acc.with(name.parse::<Right>()?))
            })
    }

    /// Reads rights from their names, skipping names this program does not know (a newer
    /// server may grant rights that do not concern customers).
    pub fn from_names_lenient<S: AsRef<str>>(names: &[S]) -> Self {
        names
            .iter()
            .filter_map(|n| n.as_ref().parse::<Right>().ok())
            .fold(Rights::NONE, Rights::with)
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

/// The signed-in user on whose behalf the API acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_name: String,
    pub rights: Rights,
}

impl Actor {
    /// A user with the given name and rights.
    pub fn new(user_name: impl Into<String>, rights: Rights) -> Self {
        Self {
            user_name: user_name.into(),
            rights,
        }
    }
}

/// `GET /api/auth`: who the signed-in user is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub user_name: String,
    pub rights: Vec<String>,
}

impl UserInfo {
    /// The rights of this user as a set.
    pub fn rights_set(&self) -> Rights {
        Rights::from_names_lenient(&self.rights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_compare_case_insensitively_and_admin_holds_all() {
        let r = Rights::parse_list("CustomerCreate, customerupdate").unwrap();
        assert!(r.has(Right::CustomerCreate) && r.has(Right::CustomerUpdate));
        assert!(!r.has(Right::CustomerDelete));
        assert!(Rights::admin().has(Right::CustomerSetDiscount));
        assert!(Rights::parse_list("fly").unwrap_err().contains("fly"));
    }
}
